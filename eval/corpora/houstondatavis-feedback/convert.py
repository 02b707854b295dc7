"""Build snapshot.json of the houstondatavis-feedback corpus (the #get_feedback channel) from the
raw Slack export: the same conversion and pseudonyms as ../houstondatavis-datajam/convert.py.

Usage: .venv/bin/python eval/corpora/houstondatavis-feedback/convert.py RAW_EXPORT_DIR [--out FILE]
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

HERE = Path(__file__).resolve().parent
_SPEC = importlib.util.spec_from_file_location(
    "houstondatavis_convert", HERE.parent / "houstondatavis-datajam" / "convert.py"
)
assert _SPEC is not None and _SPEC.loader is not None
convert = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(convert)

if __name__ == "__main__":
    raise SystemExit(convert.main(default_channel="get_feedback", here=HERE))
