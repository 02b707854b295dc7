"""file_naming: documents whose name lacks a date, an author or a topic.

Documents only: office and PDF files (the policy's `files.document_extensions`), text files
and archives (`extra_document_extensions`); images, audio, video and files without an
extension are skipped. A name needs:

- a date: `2026-11-20`, `2026/11/20`, `2026.11.20`, `20261120`, `2026年11月20日`, `2026年11月`,
  `2026-11` or `2026.11` (a month of 1 to 12, a day of 1 to 31, not inside a longer number);
- an author: the name of any directory person, or the name part of any member's display name
  (the policy's `names.separators`), of at least two characters;
- a topic: something left once the dates, the author, the version markers
  (`files.version_markers`), the separators and the extension are removed.

Severity info: in reports, not in the group notice unless `notify` says so.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import TYPE_CHECKING

from pydantic import Field

from groupaudit.contracts import File, Finding
from groupaudit.rules.base import (
    Example,
    Expected,
    RuleConfig,
    RuleSpec,
    SeverityName,
    Summary,
    local_iso,
    make_finding,
    mention_uploader,
)
from groupaudit.rules.documents import marker_regex, split_name, strip_separators
from groupaudit.rules.names import split_display_name

if TYPE_CHECKING:
    from groupaudit.rules.context import AuditContext

_MONTH = r"(?:0?[1-9]|1[0-2])"
_DAY = r"(?:0?[1-9]|[12][0-9]|3[01])"
DATE = re.compile(
    r"(?<![0-9])(?:19|20)[0-9]{2}"
    r"(?:"
    rf"(?P<sep>[-/.]){_MONTH}(?P=sep){_DAY}"  # 2026-11-20, 2026/11/20, 2026.11.20
    r"|(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"  # 20261120
    rf"|年{_MONTH}月(?:{_DAY}日?)?"  # 2026年11月20日, 2026年11月
    rf"|[-.]{_MONTH}"  # 2026-11, 2026.11
    r")(?![0-9])"
)
_WORD = re.compile(r"[^\W_]", re.UNICODE)  # a letter, digit or CJK character


class FileNamingConfig(RuleConfig):
    severity: SeverityName = "info"
    extra_document_extensions: tuple[str, ...] = Field(
        ("txt", "md", "csv", "zip", "rar", "7z", "tar", "gz", "tgz"),
        description="text and archive extensions checked besides the office/PDF documents of "
        "files.document_extensions",
    )


def check(ctx: AuditContext, config: FileNamingConfig) -> Iterator[Finding]:
    files_config = ctx.policy.files
    documents = {e.lower() for e in (*files_config.document_extensions, *config.extra_document_extensions)}
    markers = marker_regex(files_config.version_markers)
    authors = _Authors(_author_names(ctx))
    for file in ctx.snapshot.files or ():
        stem, extension = split_name(unicodedata.normalize("NFKC", file.name))
        if extension not in documents or file.uploaded_at.timestamp() > ctx.now_ts:
            continue
        dates = [match.group(0) for match in DATE.finditer(stem)]
        rest = DATE.sub(" ", stem)
        author = authors.find(rest)
        if author is not None:
            rest = rest.replace(author, " ", 1)
        topic = strip_separators(markers.sub(" ", rest))
        missing = [
            part
            for part, present in (("date", dates), ("author", author), ("topic", _WORD.search(topic)))
            if not present
        ]
        if missing:
            yield _finding(ctx, config, file, missing, dates, author, topic)


class _Authors:
    """The longest author name in a text, found from the text's two-character windows (a
    group of 10,000 members and 10,000 files is 10,000 short lookups, not 10^8 searches)."""

    def __init__(self, names: list[str]) -> None:
        self.by_start: dict[str, list[str]] = {}
        for name in names:  # longest first, so each list is too
            self.by_start.setdefault(name[:2], []).append(name)

    def find(self, text: str) -> str | None:
        found: str | None = None
        for index in range(len(text) - 1):
            for name in self.by_start.get(text[index : index + 2], ()):
                if (found is None or len(name) > len(found)) and text.startswith(name, index):
                    found = name
                    break
        return found


def _author_names(ctx: AuditContext) -> list[str]:
    """Every name an author can go by, longest first (欧阳娜娜 before 欧阳)."""
    separators = ctx.policy.names.separators
    names = {person.name for person in ctx.people.values()}
    for member in ctx.snapshot.members or ():
        parts = split_display_name(member.display_name, separators)
        if parts is not None:
            names.add(parts[1])
    normalised = {unicodedata.normalize("NFKC", name).strip() for name in names}
    return sorted((name for name in normalised if len(name) >= 2), key=lambda n: (-len(n), n))


def _finding(
    ctx: AuditContext,
    config: FileNamingConfig,
    file: File,
    missing: list[str],
    dates: list[str],
    author: str | None,
    topic: str,
) -> Finding:
    zh = {"date": "日期", "author": "作者", "topic": "主题"}
    en = {"date": "a date", "author": "an author", "topic": "a topic"}
    return make_finding(
        ctx,
        rule=RULE,
        config=config,
        key=(file.id, file.name),
        kind=f"missing_{missing[0]}",
        subject_id=file.id,
        file_id=file.id,
        summary=RULE.summary(
            ctx,
            None,
            file=file.name,
            missing_zh="、".join(zh[part] for part in missing),
            missing_en=" or ".join(en[part] for part in missing),
        ),
        evidence={
            "file_name": file.name,
            "missing": missing,
            "date_found": dates[0] if dates else None,
            "author_found": author,
            "topic_found": topic or None,
            "uploader_id": file.uploader_id,
            "uploaded_at": local_iso(ctx, file.uploaded_at),
        },
    )


_MEMBERS = [{"id": "u-zhang", "display_name": "销售部+张三"}]
_UPLOADED = "2026-11-18T10:00:00+08:00"

RULE = RuleSpec(
    id="file_naming",
    subject="file",
    title_zh="文件命名不规范（缺日期、作者或主题）",
    title_en="Documents named without a date, an author or a topic",
    policy_ref="000 三(二)3; 001 六 文件命名规范",
    config=FileNamingConfig,
    check=check,
    mentions=mention_uploader,
    summaries={
        "": Summary(
            zh="文件《{file}》命名缺少{missing_zh}，请按“主题 日期 作者”重新命名",
            en="File {file} is named without {missing_en}; please rename it as topic, date, author",
        )
    },
    table_evidence=("file_name", "missing", "uploader_id"),
    examples=(
        Example(
            "a plan named with a quarter instead of a date, and a report with no author",
            {
                "members": _MEMBERS,
                "files": [
                    {"id": "f-plan", "name": "2026年三季度销售方案v2 张三.docx", "uploaded_at": _UPLOADED},
                    {"id": "f-report", "name": "销售周报 2026-11-20.xlsx", "uploaded_at": _UPLOADED},
                ],
            },
            expect=(
                Expected("f-plan", "missing_date", file_id="f-plan"),
                Expected("f-report", "missing_author", file_id="f-report"),
            ),
        ),
        Example(
            "a well-named quote template, a dated minute in compact form, and a photo",
            {
                "members": _MEMBERS,
                "files": [
                    {"id": "f-quote", "name": "2026-11 销售报价单模板 张三.xlsx", "uploaded_at": _UPLOADED},
                    {"id": "f-minutes", "name": "周例会纪要_20261116_张三.docx", "uploaded_at": _UPLOADED},
                    {"id": "f-photo", "name": "IMG_2031.jpg", "uploaded_at": _UPLOADED},
                ],
            },
        ),
    ),
)
