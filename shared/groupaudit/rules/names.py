"""What the member rules share: how a display name splits into its department and name parts
(by the policy's ``names`` section, ``rules/context.NamesConfig``), and who a directory person
is (departed or not)."""

from __future__ import annotations

import unicodedata
from datetime import date

from groupaudit.contracts import Person


def normal(text: str) -> str:
    """For comparing names: full-width forms folded (ＡＢ → AB), case folded, spaces trimmed."""
    return unicodedata.normalize("NFKC", text).strip().casefold()


def split_display_name(display_name: str, separators: tuple[str, ...]) -> tuple[str, str] | None:
    """("销售部", "张三") from "销售部+张三": split at the first separator in the name, each part
    trimmed; None when no separator occurs."""
    positions = [(display_name.find(s), s) for s in separators if s in display_name]
    if not positions:
        return None
    index, separator = min(positions, key=lambda p: (p[0], -len(p[1])))
    return display_name[:index].strip(), display_name[index + len(separator) :].strip()


def has_departed(person: Person, today: date) -> bool:
    """Departed (离职) as of ``today``: status departed, and no leaving date after today (a
    departure dated in the future is not one yet)."""
    return person.status == "departed" and (person.left_at is None or person.left_at <= today)
