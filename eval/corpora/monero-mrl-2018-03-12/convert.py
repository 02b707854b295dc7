"""Build snapshot.json of the monero-mrl-2018-03-12 corpus from the raw IRC meeting log.

The raw file is ``meta/research-meeting-logs/ResMeetLogs-12-Mar-2018.txt`` of
github.com/monero-project/research-lab (commit a4ceef2ee3a7f7e27e9002bc8c3b37192ea7d40b; BSD
3-clause, see the corpus README): the Monero Research Lab's weekly meeting in
#monero-research-lab (freenode), one line per event, ``[YYYY-MM-DD hh:mm:ss] <nick> text`` in
UTC (the log folder's Readme), ``→ nick joined (…)``, ``⇐ nick quit (…)``, ``← nick left``,
``— nick action`` and ``* old → new`` (a nick change).

The snapshot (``platform: generic``): every line is a message ``m-NNNN`` in file order; joins,
quits and nick changes are ``system`` messages (their host names and addresses are dropped);
an action is a text ``* nick …``. Members are everyone who spoke or was seen in the window and
did not quit before its end (``joined_at`` for those who joined in it). ``messages_since`` is
the log's first line: the log is one meeting, nothing before it is known. IRC has no
structured mentions: a leading ``nick:`` stays in the text, as written (the auditor has to
read it as an address, the way a colleague does).

Pseudonymisation: every nick becomes an invented handle (order of first appearance), also
inside the texts; short forms of nicks and the names of people who are not in the log are
replaced through a table keyed by their SHA-256 (so this file names nobody); e-mail addresses
are redacted.

Usage: .venv/bin/python eval/corpora/monero-mrl-2018-03-12/convert.py RAW.txt [--out snapshot.json]
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

REPO = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent

HANDLES = [
    "wrenhollow",
    "tamarack",
    "quillon",
    "ferrule",
    "basalt",
    "kestrel_",
    "lodestar",
    "brackish",
    "cinderwick",
    "marram",
    "oxbow",
    "peregrine",
    "sumac",
    "thimble",
    "verglas",
    "woad",
    "yarrow",
    "zephyrine",
    "alderfly",
    "bittern",
    "cormorant",
    "dunlin",
    "eyrie",
    "fulmar",
    "gannet",
    "heron",
    "ibis",
    "jackdaw",
    "knot",
    "lapwing",
    "merlin",
    "nuthatch",
    "osprey",
    "pipit",
    "redpoll",
    "siskin",
    "teal",
    "upland",
    "vireo",
    "whimbrel",
]
assert len(set(HANDLES)) == len(HANDLES)
# Short forms and misspellings of nicks, and names of people outside the log, by the SHA-256
# of their lowercase spelling -> ("nick", pseudonymous nick whose short form is meant) or
# ("name", invented name).
ALIASES: dict[str, tuple[str, str]] = {
    "d7a098e66f6a7715d1818c301de377ae5b5c4b0d8d9cd4a372b3f3b606ad707a": ("nick", "suraeNoether"),
    "29c87fc89fda3a32ee776e1000d8f910afd27e6a40b9b22c13d05b45c693e43e": ("nick", "moneromooo"),
    "8b29cc4c6937064b328310ef6e02b65e1bd9eafb6f1cf7f29e18072c18027520": ("nick", "luigi1111w"),
    "5839ecdfd43bc7467f77cba4a40ea64c8ee5f986f61cf16a0e024ed2225891a4": ("nick", "luigi1111w"),
    "eedeb40ba3bf1920ca5973a8873f9748c257e00b738df9276b73c9dfcc75829e": ("name", "Dana Okafor"),
    "03ec781977bc120f85eda79a5ab144364091106de38d6acf75fb7254e9f3d188": ("name", "Dana"),
    "278136e56489132ee51d320da0ef112dcc38865a70c8b31185b062265dcd79cd": ("name", "Okafor"),
    "fbb525a7c636867b0e2a83b702ccb4940d84d57e72ac103159b40e0a196405b2": ("name", "Okafor"),
    "ab467479ec25af282133a7021defd5dcb532856b72cd1601a517df920427260e": ("name", "Lee Varga"),
    "a597349f8b09250719c6802601b523ec04a330f678d6ce72161ca4f742692727": ("name", "Sam Whitfield"),
    "eed4e9c800a4a526ae5f9891d66c29d9d93fc6e89f40e4881854d164afdd0f1f": ("name", "stormpetrel"),
}
LINE = re.compile(r"^\[(?P<ts>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})\] (?P<rest>.*)$")
SAY = re.compile(r"^<(?P<nick>[^>]+)> ?(?P<text>.*)$")
JOIN = re.compile(r"^→ (?P<nick>\S+) joined")
QUIT = re.compile(r"^⇐ (?P<nick>\S+) quit")
LEFT = re.compile(r"^← (?P<nick>\S+) left")
RENAME = re.compile(r"^\* (?P<old>\S+) → (?P<new>\S+)$")
ACTION = re.compile(r"^— (?P<nick>\S+) (?P<text>.*)$")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
URL = re.compile(r"https?://(?P<host>[^/\s?#]+)(?P<rest>\S*)")
WORD = re.compile(r"[A-Za-z][\w\[\]-]*")


def sha(text: str) -> str:
    return hashlib.sha256(text.lower().encode("utf-8")).hexdigest()


def parse(raw: str) -> list[tuple[datetime, str, str, str]]:
    """(time, kind, nick, text) per line; kind: say, action, join, quit, left, rename."""
    events = []
    for number, line in enumerate(raw.lstrip("\ufeff").splitlines(), 1):
        if not line.strip():
            continue
        match = LINE.match(line)
        if match is None:
            raise SystemExit(f"line {number}: not a log line: {line[:60]!r}")
        ts = datetime.fromisoformat(match["ts"] + "+00:00")
        rest = match["rest"]
        for kind, pattern in (
            ("say", SAY),
            ("join", JOIN),
            ("quit", QUIT),
            ("left", LEFT),
            ("rename", RENAME),
            ("action", ACTION),
        ):
            found = pattern.match(rest)
            if found:
                groups = found.groupdict()
                if kind == "rename":
                    events.append((ts, kind, groups["old"], groups["new"]))
                else:
                    events.append((ts, kind, groups["nick"], groups.get("text") or ""))
                break
        else:
            raise SystemExit(f"line {number}: unknown event: {rest[:60]!r}")
    return events


class Pseudonyms:
    def __init__(self) -> None:
        self.handle: dict[str, str] = {}  # real nick -> pseudonymous nick
        self.ids: dict[str, str] = {}  # pseudonymous nick -> member id
        self.links: dict[str, str] = {}

    def nick(self, real: str) -> str:
        if real not in self.handle:
            self.handle[real] = HANDLES[len(self.handle)]
            self.ids[self.handle[real]] = f"u-{len(self.ids) + 1:02d}"
        return self.handle[real]

    def scrub(self, text: str) -> str:
        text = EMAIL.sub("<e-mail redacted>", text)
        text = URL.sub(self._link, text)  # paths may name people; a query's "?" is kept
        by_lower = {real.lower(): fake for real, fake in self.handle.items()}

        def word(match: re.Match[str]) -> str:
            token = match.group(0)
            stem, tail = token, ""
            while stem and stem[-1] in ".,;:!?'":  # "sarang:" / "luigi1111w," keep their punctuation
                stem, tail = stem[:-1], stem[-1] + tail
            fake = by_lower.get(stem.lower())
            if fake is not None:
                return fake + tail
            alias = ALIASES.get(sha(stem))
            if alias is not None:
                kind, value = alias
                return (self.short(value) if kind == "nick" else value) + tail
            return token

        return WORD.sub(word, text)

    def _link(self, match: re.Match[str]) -> str:
        if match.group(0) not in self.links:
            query = "?q" if "?" in match.group("rest") else ""
            self.links[match.group(0)] = f"https://{match.group('host')}/link-{len(self.links) + 1}{query}"
        return self.links[match.group(0)]

    def short(self, real_nick: str) -> str:
        """The short form of a nick's pseudonym ("surae" for a nick written in full elsewhere)."""
        return self.nick(real_nick).rstrip("_")[:4]


def convert(raw_path: Path) -> dict[str, Any]:
    events = parse(raw_path.read_text(encoding="utf-8"))
    ps = Pseudonyms()
    for _, kind, nick, other in events:  # handles in order of first appearance
        ps.nick(nick)
        if kind == "rename":
            ps.nick(other)
    messages: list[dict[str, Any]] = []
    present: dict[str, str | None] = {}  # pseudonymous nick -> joined_at (None: before the window)
    for index, (ts, kind, nick, text) in enumerate(events, 1):
        fake = ps.nick(nick)
        message: dict[str, Any] = {
            "id": f"m-{index:04d}",
            "sender_id": ps.ids[fake],
            "sent_at": ts.isoformat(),
            "type": "text",
        }
        if kind == "say":
            message["text"] = ps.scrub(_phrases(text))
            present.setdefault(fake, None)
        elif kind == "action":
            message["text"] = f"* {fake} " + ps.scrub(_phrases(text))
            present.setdefault(fake, None)
        elif kind == "join":
            message.update(type="system", text=f"{fake} joined")
            present[fake] = ts.isoformat()
        elif kind in ("quit", "left"):
            message.update(type="system", text=f"{fake} {'quit' if kind == 'quit' else 'left'}")
            present.pop(fake, None)
        else:  # rename: the same person under a new nick
            new = ps.nick(text)
            message.update(type="system", text=f"{fake} is now known as {new}")
            joined = present.pop(fake, None)
            present[new] = joined
        messages.append(message)
    first, last = events[0][0], events[-1][0]
    members = [
        {"id": ps.ids[fake], "display_name": fake, "joined_at": joined, "is_bot": False}
        for fake, joined in sorted(present.items(), key=lambda item: ps.ids[item[0]])
    ]
    return {
        "schema_version": 1,
        "platform": "generic",
        "tenant_id": "eval-monero",
        "taken_at": last.isoformat(),
        "messages_since": first.isoformat(),
        "group": {"id": "irc-monero-research-lab", "name": "#monero-research-lab", "kind": "project"},
        "members": members,
        "messages": messages,
        "files": [],
    }


def _phrases(text: str) -> str:
    """Two-word names of people outside the log ("Jim Smith") -> their invented names."""
    spans = []
    for match in re.finditer(r"(?=\b([A-Za-z]+ [A-Za-z]+)\b)", text):
        alias = ALIASES.get(sha(match.group(1)))
        if alias is not None and alias[0] == "name":
            spans.append((match.start(1), match.end(1), alias[1]))
    for start, end, value in reversed(spans):
        text = text[:start] + value + text[end:]
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", type=Path, help="ResMeetLogs-12-Mar-2018.txt")
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
