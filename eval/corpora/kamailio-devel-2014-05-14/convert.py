"""Build snapshot.json of the kamailio-devel-2014-05-14 corpus from the raw IRC chat log.

The raw file is ``docs/devel/irc-meetings/2014alog.md`` of github.com/kamailio/kamailio-wiki
(commit a224aee8c5e5ccf8984d9a222d72481231385a5e; GPL-2.0, the repository's LICENSE): the chat
log of the Kamailio developers' IRC meeting of 2014-05-14 in #kamailio (freenode), as Markdown:
``\\[YYYY-MM-DD hh:mm:ss\\] \\<nick> text`` per line (long lines wrapped), ``## topic`` headings.
The times are the chair's local time, Central European Summer Time (the meeting was announced
for 14:00 UTC; the log's first line is 16:06).

The licence is not one this project commits data under, so the snapshot is NOT committed:
run this script on a copy of the raw file to create ``snapshot.json`` here (eval/run.py skips the
corpus, saying so, while it is absent).

Window: from the log's first line up to the start of the "world wide events" topic
(17:10:53): the topics "outstanding issues", "major release", "minor release", "old or forgotten
patches" and "mirrors". Every line is a message ``m-NNNN`` in order; Markdown escapes are undone
and autolinks ``<https://…>`` unwrapped. Members are the speakers of the window; nothing says
when they joined. ``messages_since`` is the first line. IRC has no structured mentions: a leading
``nick:`` stays in the text, as written.

Pseudonymisation: nicks become invented handles (order of first appearance), also inside the
texts; short forms and names of people outside the window are replaced through a table keyed by
their SHA-256 (so this file names nobody); links keep only their host.

Usage: .venv/bin/python eval/corpora/kamailio-devel-2014-05-14/convert.py RAW_2014alog.md [--out FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
ZONE = ZoneInfo("Europe/Berlin")
WINDOW_END = datetime(2014, 5, 14, 17, 10, 53, tzinfo=ZONE)  # exclusive: "next topic: world wide events"

HANDLES = [
    "ashgrove",
    "bramblecot",
    "copperfen",
    "dovetail",
    "eastmere",
    "foxglove",
    "greywether",
    "hazelrig",
    "ironwood",
    "juniperhill",
    "kingfisher",
    "larchmont",
    "millrace",
    "nettlebed",
    "oakapple",
    "pennyroyal",
    "quickthorn",
]
assert len(set(HANDLES)) == len(HANDLES)
# SHA-256 of a lowercase spelling -> its replacement: names of people who do not speak in the
# window, and short forms of nicks.
ALIASES: dict[str, str] = {
    "753b54ded84c0dadef470b70564d189c14374cc0578503ad4887be364c5f793c": "Morgan Tull",
    "06b9a6eacd7a77b9361123fd19776455eb16b9c83426a1abbf514a414792b73f": "Morgan",
    "706fb4dc2b16728ef5e2b315f795ac20ebdd33a7ae097ee8500bffa5b6b52c03": "Tull",
    "026ad9b14a7453b7488daa0c6acbc258b1506f52c441c7c465474c1a564394ff": "Robin",
}
ENTRY = re.compile(r"^\\\[(?P<ts>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})\\\] \\<(?P<nick>[^>]+)> ?(?P<text>.*)$")
AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
URL = re.compile(r"https?://(?P<host>[^/\s?#>]+)(?P<rest>[^\s>]*)")
WORD = re.compile(r"[A-Za-z][\w-]*")
UNESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>|])")


def sha(text: str) -> str:
    return hashlib.sha256(text.lower().encode("utf-8")).hexdigest()


def entries(raw: str) -> list[tuple[datetime, str, str]]:
    out: list[list[Any]] = []
    for raw_line in raw.splitlines():
        line = raw_line.rstrip()
        match = ENTRY.match(line)
        if match:
            ts = datetime.fromisoformat(match["ts"]).replace(tzinfo=ZONE)
            out.append([ts, match["nick"], match["text"]])
        elif line.startswith("#") or not line:
            continue  # a topic heading or a blank line
        elif out:
            out[-1][2] += " " + line  # a wrapped line continues the entry
    return [(ts, UNESCAPE.sub(r"\1", nick), UNESCAPE.sub(r"\1", text)) for ts, nick, text in out]


class Pseudonyms:
    def __init__(self, nicks: list[str]) -> None:
        self.handle: dict[str, str] = {}
        for nick in nicks:
            if nick not in self.handle:
                self.handle[nick] = HANDLES[len(self.handle)]
        self.ids = {fake: f"u-{i + 1:02d}" for i, fake in enumerate(self.handle.values())}
        self.links: dict[str, str] = {}

    def scrub(self, text: str) -> str:
        text = AUTOLINK.sub(r"\1", text)
        text = URL.sub(self._link, text)
        text = re.sub(
            r"github\.com/[\w.-]+/[\w.-]+", "github.com/link", text
        )  # a bare repo path names its owner
        by_lower = {real.lower(): fake for real, fake in self.handle.items()}

        def word(match: re.Match[str]) -> str:
            token = match.group(0)
            fake = by_lower.get(token.lower())
            if fake is not None:
                return fake
            return ALIASES.get(sha(token), token)

        text = _phrases(text)
        return WORD.sub(word, text)

    def _link(self, match: re.Match[str]) -> str:
        if match.group(0) not in self.links:
            query = "?q" if "?" in match.group("rest") else ""
            self.links[match.group(0)] = f"https://{match.group('host')}/link-{len(self.links) + 1}{query}"
        return self.links[match.group(0)]


def _phrases(text: str) -> str:
    spans = []
    for match in re.finditer(r"(?=\b([A-Za-z]+ [A-Za-z]+)\b)", text):
        value = ALIASES.get(sha(match.group(1)))
        if value is not None:
            spans.append((match.start(1), match.end(1), value))
    for start, end, value in reversed(spans):
        text = text[:start] + value + text[end:]
    return text


def convert(raw_path: Path) -> dict[str, Any]:
    window = [e for e in entries(raw_path.read_text(encoding="utf-8")) if e[0] < WINDOW_END]
    if not window:
        raise SystemExit(f"{raw_path}: no chat lines before {WINDOW_END:%H:%M:%S}")
    ps = Pseudonyms([nick for _, nick, _ in window])
    messages = [
        {
            "id": f"m-{i:04d}",
            "sender_id": ps.ids[ps.handle[nick]],
            "sent_at": ts.isoformat(),
            "type": "text",
            "text": ps.scrub(text),
        }
        for i, (ts, nick, text) in enumerate(window, 1)
    ]
    members = [{"id": ps.ids[fake], "display_name": fake, "is_bot": False} for fake in ps.handle.values()]
    return {
        "schema_version": 1,
        "platform": "generic",
        "tenant_id": "eval-kamailio",
        "taken_at": window[-1][0].isoformat(),
        "messages_since": window[0][0].isoformat(),
        "group": {"id": "irc-kamailio", "name": "#kamailio devel meeting", "kind": "project"},
        "members": members,
        "messages": messages,
        "files": [],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "raw", type=Path, help="docs/devel/irc-meetings/2014alog.md of kamailio/kamailio-wiki"
    )
    parser.add_argument("--out", type=Path, default=HERE / "snapshot.json")
    args = parser.parse_args(argv)
    if not args.raw.exists():
        parser.error(f"{args.raw}: no such file or folder (the raw export, see the corpus README)")
    try:
        snap = convert(args.raw)
    except (OSError, UnicodeDecodeError) as exc:
        parser.error(f"{args.raw}: cannot read: {exc}")
    args.out.write_text(json.dumps(snap, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    sys.path.insert(0, str(REPO / "shared"))
    from groupaudit.loading import load_snapshot

    load_snapshot(args.out)
    print(f"{args.out}: {len(snap['members'])} members, {len(snap['messages'])} messages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
