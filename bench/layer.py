"""The Lambda layer's size, built as `sam build` builds it (a figure, and a target).

Runs the Makefile's ``build-GroupAuditLayer`` target, which `sam build` runs for the layer
(template.yaml: ``BuildMethod: makefile``), into a fresh folder, zips it the way `sam package`
does (deflate, default level) and prints:

- ``zipped_mb``: the zip the deploy uploads (target ≤ 10 MB, 10,000,000 bytes);
- ``unzipped_mb``: what it unpacks to under /opt (Lambda allows 250 MB for a function and its
  layers together);
- ``files``; and the largest parts of the zip, by top-level package.

``--python`` and ``--platform`` build for another runtime than the template's (python3.13 on
arm64; tests/test_layer.py builds one for this machine to import it); ``--out`` keeps the
folder and the zip; ``--json`` prints the figures as one JSON object. Exit status 1 when the
zip is over the target.

Usage: python bench/layer.py [--out DIR] [--python 3.13] [--platform manylinux_2_17_aarch64 ...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_ZIPPED_BYTES = 10_000_000
MB = 1_000_000


def build_layer(artifacts: Path, python: str | None = None, platforms: list[str] | None = None) -> Path:
    """The layer folder (``artifacts/python/...``), from the Makefile target `sam build` runs,
    run in the layer's ContentUri folder as `sam build` does (in its copy of it)."""
    command = ["make", "--no-print-directory", "-s", "-f", str(ROOT / "Makefile"), "build-GroupAuditLayer"]
    command.append(f"ARTIFACTS_DIR={artifacts}")
    if python:
        command.append(f"LAYER_PYTHON={python}")
    if platforms:
        command.append(f"LAYER_PLATFORMS={' '.join(platforms)}")
    subprocess.run(command, cwd=ROOT / "shared", check=True)
    return artifacts


def zip_layer(artifacts: Path, destination: Path) -> Path:
    """Zip the folder's contents as `sam package` does: relative paths, deflate."""
    with zipfile.ZipFile(destination, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for folder, directories, files in os.walk(artifacts):
            directories.sort()
            for name in sorted(files):
                path = Path(folder) / name
                archive.write(path, path.relative_to(artifacts).as_posix())
    return destination


def figures(artifacts: Path, archive: Path) -> dict[str, object]:
    parts: Counter[str] = Counter()
    unzipped = 0
    with zipfile.ZipFile(archive) as opened:
        entries = opened.infolist()
        for entry in entries:
            unzipped += entry.file_size
            top = entry.filename.split("/")[1] if entry.filename.count("/") >= 1 else entry.filename
            parts[top.split(".")[0] if top.endswith(".so") else top] += entry.compress_size
    size = archive.stat().st_size
    return {
        "zipped_bytes": size,
        "zipped_mb": round(size / MB, 2),
        "unzipped_mb": round(unzipped / MB, 2),
        "files": len(entries),
        "target_mb": TARGET_ZIPPED_BYTES / MB,
        "within_target": size <= TARGET_ZIPPED_BYTES,
        "largest": {name: round(compressed / MB, 2) for name, compressed in parts.most_common(8)},
        "folder": str(artifacts),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the layer as sam build does; print its size.")
    parser.add_argument("--out", type=Path, help="keep the layer folder and layer.zip here (must not exist)")
    parser.add_argument("--python", help="Python version of the wheels (default: the Makefile's, 3.13)")
    parser.add_argument("--platform", action="append", help="wheel platform tag (repeatable)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="groupaudit-layer-") as scratch:
        out = args.out or Path(scratch)
        if args.out:
            out.mkdir(parents=True)
        artifacts = build_layer(out / "layer", args.python, args.platform)
        result = figures(artifacts, zip_layer(artifacts, out / "layer.zip"))
    if args.json:
        print(json.dumps(result))
    else:
        verdict = "PASS" if result["within_target"] else "FAIL"
        print(
            f"layer: zipped_mb={result['zipped_mb']} unzipped_mb={result['unzipped_mb']} "
            f"files={result['files']}"
        )
        print("largest (zipped MB): " + ", ".join(f"{k} {v}" for k, v in result["largest"].items()))
        print(f"{verdict} layer zipped ≤ {result['target_mb']:g} MB: {result['zipped_mb']} MB")
    return 0 if result["within_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
