"""documents: why a file is important, its extension and its title, value by value.

Written against the mutants `make mutate` left alive (docs/BENCHMARKS.md, "Mutation testing"):
each test names the false or lost stale_file / unbacked_document finding a mutant would cause.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from groupaudit.contracts import File
from groupaudit.rules.context import DEFAULT_VERSION_MARKERS, FilesConfig
from groupaudit.rules.documents import importance, normalised_title, split_name

AT = datetime(2026, 11, 20, 10, 0, tzinfo=timezone(timedelta(hours=8)))


def _file(name, **fields):
    return File(id="f1", name=name, uploaded_at=AT, **fields)


def test_each_reason_of_importance_is_named():
    # GIVEN a file flagged on the platform, a contract, and a large Word document
    config = FilesConfig()
    # THEN each reason is worded as the finding's evidence shows it (a reason lost or blank: a
    # finding that cannot say why the file matters)
    assert importance(_file("readme.txt", important=True), config) == ["flagged important on the platform"]
    assert importance(_file("采购合同.txt"), config) == ["name contains '合同'"]
    assert importance(_file("设计.docx", size_bytes=6 * 1024 * 1024), config) == [
        "docx document larger than 5242880 bytes"
    ]
    assert importance(_file("设计.docx", size_bytes=1024), config) == []


@pytest.mark.parametrize(
    ("name", "split"),
    [
        ("方案 v2.1.docx", ("方案 v2.1", "docx")),  # the last dot
        ("main.c", ("main", "c")),  # a one-letter extension
        ("page.XHTML", ("page", "xhtml")),  # five letters, lower-cased
        ("方案.backup", ("方案.backup", "")),  # six letters: no extension
        ("报告.final-version", ("报告.final-version", "")),  # not alphanumeric
        (".gitignore", (".gitignore", "")),  # no stem
        ("报告.", ("报告.", "")),
        ("README", ("README", "")),
    ],
)
def test_a_name_splits_at_its_last_dot_into_a_stem_and_a_short_extension(name, split):
    # GIVEN a file name
    # THEN its stem and extension (a wrong extension: a large document not seen as one — a lost
    # finding — or two versions of a file not grouped as one series)
    assert split_name(name) == split


def test_a_title_is_lower_case_without_markers_and_separators():
    # GIVEN two versions of a Latin-named file
    # THEN both have one lower-case title (else the older version is never found superseded)
    assert normalised_title("Budget Plan v2.docx", DEFAULT_VERSION_MARKERS) == ("budgetplan", "docx")
    assert normalised_title("budget_plan V3.DOCX", DEFAULT_VERSION_MARKERS) == ("budgetplan", "docx")
