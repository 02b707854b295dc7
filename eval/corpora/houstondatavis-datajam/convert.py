"""Build snapshot.json of a houstondatavis corpus from the raw Slack export.

The raw export is github.com/houstondatavis/slack-export (commit
cd61170f9d217e584c963f75400a5b9550209e86, "exported from houstondatavis.slack.com on July 31st,
2016"; licence: MIT, per the repository's ``.LICENSE``). This script reads one channel of it
through the project's own Slack importer (``groupaudit.connectors.slack_export``, exactly what
``groupaudit import slack-export`` runs) and pseudonymises the snapshot:

- every Slack user id becomes ``u-NN`` (users.json sorted by id, so one person has the same
  pseudonym in every channel); bots, if any, ``b-NN``;
- every display name becomes an invented name; each member's real names, first and last names
  and username become that invented name (or its first name) inside the texts too, and a few
  names of non-members found in the texts (checked by their SHA-256, so this file names
  nobody) become invented first names;
- ``<@U…|username>`` mentions carry the pseudonymous id; e-mail addresses are redacted;
- every link becomes ``<https://HOST/link-N>`` (HOST kept only for general sites such as
  github.com or meetup.com, ``link.invalid`` otherwise: personal sites and paths name people),
  with ``?q`` kept where the link had a query string (a "?" a reader might take for a question);
- files keep their names and sizes; their download links are dropped.

Usage (from the repository root):
  .venv/bin/python eval/corpora/houstondatavis-datajam/convert.py RAW_EXPORT_DIR \
      [--channel datajam] [--out FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
TAKEN_AT = "2016-07-31T16:00:00-05:00"  # the export's day (README: "exported … on July 31st, 2016")

FIRST = [
    "Avery",
    "Blake",
    "Carmen",
    "Dorian",
    "Elena",
    "Farah",
    "Gideon",
    "Harper",
    "Ines",
    "Jonah",
    "Keira",
    "Lionel",
    "Maren",
    "Nolan",
    "Odette",
    "Perrin",
    "Quinn",
    "Rosalind",
    "Soren",
    "Talia",
    "Ulric",
    "Vera",
    "Wendell",
    "Xenia",
    "Yusuf",
    "Zelda",
    "Anselm",
    "Briony",
    "Cyrus",
    "Delphine",
    "Emrys",
    "Fenna",
    "Gareth",
    "Hollis",
    "Isolde",
    "Jasper",
    "Kestrel",
    "Linnea",
    "Magnus",
    "Nerys",
    "Orrin",
    "Petra",
    "Rafferty",
    "Saoirse",
    "Tobin",
    "Ursula",
    "Vaughn",
    "Willa",
    "Yorick",
    "Zinnia",
    "Alder",
    "Beatrix",
    "Caspian",
    "Dagny",
    "Evander",
    "Flora",
    "Griffin",
    "Hester",
    "Ignatius",
    "Juniper",
    "Leopold",
    "Mirela",
    "Niamh",
    "Oswin",
    "Philippa",
    "Rhiannon",
    "Silas",
    "Tamsin",
    "Valentin",
    "Wilhelmina",
    "Ambrose",
    "Cordelia",
    "Desmond",
    "Eulalie",
]
assert len(set(FIRST)) == len(FIRST)
LAST = [
    "Ashdown",
    "Birchall",
    "Calloway",
    "Dunmore",
    "Ellery",
    "Fairweather",
    "Galloway",
    "Hartigan",
    "Ingleby",
    "Jessop",
    "Kettering",
    "Lockhart",
    "Merriman",
    "Northcott",
    "Oakhurst",
    "Pemberton",
    "Quartermain",
    "Rowntree",
    "Strickland",
    "Thistlewood",
    "Underhill",
    "Vickery",
    "Whitlock",
    "Yardley",
    "Ainsworth",
    "Brightwell",
    "Coverdale",
    "Drummond",
    "Elsworth",
    "Fenwick",
    "Gresham",
    "Holloway",
    "Ivesdale",
    "Kingsley",
    "Langford",
    "Marlowe",
    "Netherby",
    "Ormsby",
    "Pickering",
    "Radcliffe",
]
# Names of people who are not members, found in the texts, by the SHA-256 of their lowercase
# spelling (so that this file does not name them) -> the invented name written instead.
NON_MEMBERS = {
    "7b5454f75089acf2693bc531725160e31ab0a1a34bcba17afb98109b194d049b": "Rowan",
    "23635671b14ff3f69e01d9f32f74ae309de09a953f6b49385b3a81b3239237db": "Hale",
    "0d389a0d43622f91b3f68ed29fd2c4f0676a8aabd44ea5c63f8ee5511bff7289": "Tobias",
    "77b7fc41da451ea8aa46061bea09caa2c0d5eb366118414498dbdff86edeeb33": "Mireille",
}
# General sites whose host name identifies nobody (the path still may, it is always dropped).
PUBLIC_HOSTS = {
    "github.com",
    "www.meetup.com",
    "meetu.ps",
    "docs.google.com",
    "www.youtube.com",
    "youtu.be",
    "stackoverflow.com",
    "snap.stanford.edu",
    "bost.ocks.org",
    "bl.ocks.org",
    "getmdl.io",
    "www.bbc.co.uk",
    "public.tableau.com",
    "theblogprogress.blogspot.com",
    "exchange.ai",
    "jkunst.com",
    "www.maxmind.com",
}
# Name parts that are also ordinary words: replaced only where capitalised.
COMMON_WORDS = {"back", "brown", "moss", "walker", "victor", "y", "m", "r", "j", "stephen"}

_LINK = re.compile(r"<((?:https?|mailto):[^>|]*)(?:\|[^>]*)?>")
_MENTION = re.compile(r"<@([UWB][A-Z0-9]+)(?:\|[^>]*)?>")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+\b")
_BARE_ID = re.compile(r"\b[UW][A-Z0-9]{8,10}\b")


def sha(text: str) -> str:
    return hashlib.sha256(text.lower().encode("utf-8")).hexdigest()


class Pseudonyms:
    """Pseudonymous ids and names for the workspace's users, and the text scrubber."""

    def __init__(self, users: list[dict[str, Any]]) -> None:
        self.ids: dict[str, str] = {}
        self.names: dict[str, str] = {}
        ordered = sorted(users, key=lambda u: u["id"])
        for index, user in enumerate(ordered):
            self.ids[user["id"]] = f"u-{index + 1:02d}"
            first, last = FIRST[index % len(FIRST)], LAST[(index + 3 * (index // len(FIRST))) % len(LAST)]
            self.names[user["id"]] = f"{first} {last}"
        self._replacements = self._build_replacements(ordered)

    def _build_replacements(
        self, users: list[dict[str, Any]]
    ) -> list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]]:
        """(pattern, replacement) for every name a user goes by, longest first."""
        pairs: dict[str, tuple[str, bool]] = {}  # spelling -> (replacement, case-insensitive)
        for user in users:
            fake = self.names[user["id"]]
            fake_first = fake.split()[0]
            profile = user.get("profile") or {}
            full = [user.get("real_name"), profile.get("real_name"), profile.get("display_name")]
            for name in filter(None, full):
                if " " in name.strip():
                    pairs.setdefault(name.strip(), (fake, True))
            for part in (profile.get("first_name"), *(str(user.get("real_name") or "").split()[:1])):
                if part and len(part) > 2:
                    pairs.setdefault(part, (fake_first, part.lower() not in COMMON_WORDS))
            for part in (profile.get("last_name"), *(str(user.get("real_name") or "").split()[1:])):
                if part and len(part.strip(".")) > 1:
                    pairs.setdefault(part, (fake.split()[1], False))
            username = user.get("name")
            if username and len(username) > 2:
                pairs.setdefault(username, (fake_first.lower(), username.lower() not in COMMON_WORDS))
        out = []
        for spelling in sorted(pairs, key=len, reverse=True):
            replacement, insensitive = pairs[spelling]
            flags = re.IGNORECASE if insensitive else 0
            out.append(
                (re.compile(rf"(?<![\w@.-]){re.escape(spelling)}(?![\w-])", flags), _same_case(replacement))
            )
        return out

    def member(self, user_id: str | None) -> str | None:
        if user_id is None:
            return None
        if user_id not in self.ids:
            self.ids[user_id] = f"b-{sum(1 for v in self.ids.values() if v.startswith('b-')) + 1:02d}"
        return self.ids[user_id]

    def scrub(self, text: str, links: dict[str, str]) -> str:
        text = _MENTION.sub(lambda m: f"<@{self.member(m.group(1))}>", text)
        text = _BARE_ID.sub(lambda m: self.ids.get(m.group(0), m.group(0)), text)  # "commented on U…'s file"
        text = _LINK.sub(lambda m: self._link(m.group(1), links), text)
        text = _EMAIL.sub("<e-mail redacted>", text)
        # Names, but not inside the pseudonymous tokens and links just written.
        parts = re.split(r"(<[^>]*>)", text)
        for i in range(0, len(parts), 2):
            piece = parts[i]
            for pattern, replacement in self._replacements:
                piece = pattern.sub(replacement, piece)
            piece = _CAPITALISED.sub(_non_member, piece)
            parts[i] = piece
        return "".join(parts)

    @staticmethod
    def _link(url: str, links: dict[str, str]) -> str:
        if url.startswith("mailto:"):
            return "<mailto:redacted>"
        if url not in links:
            host = re.sub(r"^https?://([^/?#]+).*$", r"\1", url).lower()
            shown = host if host in PUBLIC_HOSTS else "link.invalid"
            query = "?q" if "?" in url else ""
            links[url] = f"<https://{shown}/link-{len(links) + 1}{query}>"
        return links[url]


def _non_member(match: re.Match[str]) -> str:
    return NON_MEMBERS.get(sha(match.group(0)), match.group(0))


def _same_case(replacement: str) -> Callable[[re.Match[str]], str]:
    """A replacement that starts with a capital where the name it replaces did."""

    def sub(match: re.Match[str]) -> str:
        if match.group(0)[:1].isupper():
            return replacement[:1].upper() + replacement[1:]
        return replacement

    return sub


def convert(raw: Path, channel: str) -> dict[str, Any]:
    sys.path.insert(0, str(REPO / "shared"))
    from groupaudit.connectors.slack_export import import_slack_export

    result = import_slack_export(
        raw, channel=channel, taken_at=datetime.fromisoformat(TAKEN_AT), kind="project"
    )
    if len(result.channels) != 1:
        raise SystemExit(f"{raw}: channel {channel!r} not found once in the export")
    snap = json.loads(result.channels[0].data)
    users = json.loads((raw / "users.json").read_text(encoding="utf-8"))
    ps = Pseudonyms(users)
    links: dict[str, str] = {}
    group = snap["group"]
    for key in ("owner_id", "created_by"):
        group[key] = ps.member(group.get(key))
    for key in ("admin_ids", "exempt_member_ids", "allowed_external_ids"):
        if group.get(key):
            group[key] = [ps.member(x) for x in group[key]]
    members = []
    for member in snap["members"]:
        member["id"] = ps.member(member["id"])
        member["display_name"] = ps.names.get(_real_id(ps, member["id"]), member["display_name"])
        members.append(member)
    snap["members"] = sorted(members, key=lambda m: m["id"])
    for message in snap["messages"]:
        message["sender_id"] = ps.member(message["sender_id"])
        if message.get("mentions"):
            message["mentions"] = [ps.member(x) for x in message["mentions"]]
        if message.get("text"):
            message["text"] = ps.scrub(message["text"], links)
    snap["messages"].sort(key=lambda m: (m["sent_at"], m["id"]))
    for file in snap.get("files") or ():
        file["uploader_id"] = ps.member(file.get("uploader_id"))
        file["download_url"] = None
    return snap


def _real_id(ps: Pseudonyms, pseudonym: str) -> str | None:
    return next((real for real, fake in ps.ids.items() if fake == pseudonym), None)


def main(argv: list[str] | None = None, *, default_channel: str = "datajam", here: Path | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", type=Path, help="the export's folder (a clone of houstondatavis/slack-export)")
    parser.add_argument("--channel", default=default_channel)
    parser.add_argument(
        "--out", type=Path, default=(here or Path(__file__).resolve().parent) / "snapshot.json"
    )
    args = parser.parse_args(argv)
    if not args.raw.exists():
        parser.error(f"{args.raw}: no such file or folder (the raw export, see the corpus README)")
    sys.path.insert(0, str(REPO / "shared"))
    from groupaudit.errors import GroupAuditError

    try:
        snap = convert(args.raw, args.channel)
    except (OSError, UnicodeDecodeError) as exc:
        parser.error(f"{args.raw}: cannot read: {exc}")
    except GroupAuditError as exc:  # the importer's own message names the problem
        parser.error(str(exc))
    args.out.write_text(json.dumps(snap, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    from groupaudit.loading import load_snapshot

    load_snapshot(args.out)  # the contract's validation: fails loudly on a bad snapshot
    print(f"{args.out}: {len(snap['members'])} members, {len(snap['messages'])} messages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
