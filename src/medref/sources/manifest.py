"""The SHA-256 manifests of downloaded and mirror-copied release folders (`manifest.json`,
written by `medref download`), and the check every build makes against them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from medref.errors import SourceFormatError

MANIFEST = "manifest.json"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def verify_manifests(files: Sequence[Path], root: Path) -> None:
    """Check files against the SHA-256 manifests written when they were downloaded or copied
    from a mirror (`manifest.json` in their folder or a parent folder below `root`). A file
    whose bytes changed since (cut short, re-encoded, replaced), or one a manifest lists
    beside them that is gone, is an error naming it; files no manifest lists are not
    checked (a hand-made mirror has none)."""
    expected = _manifest_entries(files, root)
    folders = {path.parent.resolve() for path in files}
    for path, (digest, manifest) in sorted(expected.items()):
        if path.parent not in folders:
            continue
        if not path.exists():
            raise SourceFormatError(
                path,
                f"listed in {manifest} but missing",
                hint="download the release again (medref download), or restore the file",
            )
        actual = sha256(path)
        if actual != digest:
            raise SourceFormatError(
                path,
                f"does not match {manifest}: SHA-256 {actual[:16]}..., recorded {digest[:16]}...",
                hint="the file changed after it was downloaded (cut short, edited or replaced): "
                "download the release again (medref download)",
            )


def _manifest_entries(files: Sequence[Path], root: Path) -> dict[Path, tuple[str, Path]]:
    """Every file the manifests above `files` (up to `root`) list: its SHA-256 and manifest."""
    folders: set[Path] = set()
    top = root.resolve()
    for path in files:
        folder = path.parent.resolve()
        while folder not in folders and (folder == top or top in folder.parents):
            folders.add(folder)
            folder = folder.parent
    found: dict[Path, tuple[str, Path]] = {}
    for folder in sorted(folders):
        manifest = folder / MANIFEST
        if not manifest.is_file():
            continue
        try:
            downloads = json.loads(manifest.read_text(encoding="utf-8"))["downloads"]
            for entry in downloads.values():
                for name, digest in entry["files"].items():
                    found[(folder / name).resolve()] = (digest, manifest)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise SourceFormatError(
                manifest,
                f"not a medref download manifest ({type(exc).__name__}: {exc})",
                hint="delete it and download the release again (medref download)",
            ) from None
    return found
