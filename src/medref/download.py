"""Fetch the official source files into the download cache, laid out like a mirror
(`<folder>/<release>/<files>`), with a manifest per source release: URL, release, date,
SHA-256 and file list. A re-run whose manifest matches the files on disk fetches nothing,
and every build checks the files against their manifest (`sources.manifest`).
"""

from __future__ import annotations

import fnmatch
import json
import shutil
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from tqdm import tqdm

from medref.errors import DownloadError
from medref.sources.base import DownloadSpec, Source
from medref.sources.manifest import MANIFEST, sha256


@dataclass(frozen=True, slots=True)
class DownloadResult:
    source: str
    release: str
    folder: Path
    fetched: bool
    files: list[str]


def _manifest_ok(folder: Path, spec: DownloadSpec) -> bool:
    path = folder / MANIFEST
    if not path.exists():
        return False
    manifest = json.loads(path.read_text())
    entry = manifest.get("downloads", {}).get(spec.url)
    if entry is None:
        return False
    return all(
        (folder / name).exists() and sha256(folder / name) == digest
        for name, digest in entry["files"].items()
    )


def _fetch(client: httpx.Client, url: str, target: Path, progress: bool) -> None:
    partial = target.with_name(target.name + ".part")
    try:
        with client.stream("GET", url, follow_redirects=True) as response:
            if response.status_code != 200:
                raise DownloadError(
                    f"{url}: HTTP {response.status_code}. What to do: check the release is "
                    "still published at this address, or use --mirror with a local copy"
                )
            total = int(response.headers.get("content-length", 0)) or None
            with (
                partial.open("wb") as out,
                tqdm(
                    total=total,
                    unit="B",
                    unit_scale=True,
                    desc=target.name,
                    disable=not progress,
                    leave=False,
                ) as bar,
            ):
                for chunk in response.iter_bytes(1 << 16):
                    out.write(chunk)
                    bar.update(len(chunk))
    except httpx.HTTPError as exc:
        partial.unlink(missing_ok=True)
        raise DownloadError(
            f"{url}: {exc}. What to do: check the network, or point MEDREF_SOURCES (--mirror) "
            "at a folder laid out like ../shared/cms"
        ) from exc
    partial.replace(target)


def _extract(archive: Path, folder: Path, members: tuple[str, ...]) -> list[str]:
    try:
        with zipfile.ZipFile(archive) as zipped:
            names = [
                n
                for n in zipped.namelist()
                if not n.endswith("/")
                and (
                    not members
                    or any(fnmatch.fnmatch(Path(n).name.lower(), m.lower()) for m in members)
                )
            ]
            extracted = []
            for name in names:
                target = folder / Path(name).name
                with zipped.open(name) as src, target.open("wb") as out:
                    shutil.copyfileobj(src, out)
                extracted.append(target.name)
            return extracted
    except zipfile.BadZipFile as exc:
        raise DownloadError(
            f"{archive}: not a valid zip ({exc}). What to do: delete it and download again"
        ) from exc


def download_source(
    source: Source, root: Path, *, client: httpx.Client, progress: bool = True
) -> list[DownloadResult]:
    results = []
    for spec in source.downloads():
        folder = root / source.folder / spec.release
        folder.mkdir(parents=True, exist_ok=True)
        if _manifest_ok(folder, spec):
            files = sorted(
                json.loads((folder / MANIFEST).read_text())["downloads"][spec.url]["files"]
            )
            results.append(DownloadResult(source.name, spec.release, folder, False, files))
            continue
        target = folder / spec.filename
        _fetch(client, spec.url, target, progress)
        files = [spec.filename]
        if spec.unzip:
            try:
                files = _extract(target, folder, spec.members)
            finally:
                target.unlink()
        _record(folder, spec, files)
        results.append(DownloadResult(source.name, spec.release, folder, True, files))
    return results


def _record(folder: Path, spec: DownloadSpec, files: list[str]) -> None:
    path = folder / MANIFEST
    manifest = json.loads(path.read_text()) if path.exists() else {"downloads": {}}
    manifest["downloads"][spec.url] = {
        "release": spec.release,
        "downloaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": {name: sha256(folder / name) for name in sorted(files)},
    }
    path.write_text(json.dumps(manifest, indent=2) + "\n")


def mirror_copy(source: Source, mirror: Path, root: Path) -> list[DownloadResult]:
    """`--mirror DIR`: copy a source's files from a local mirror into the cache, keeping
    their place in the layout, with the same manifest as a download."""
    results = []
    for release in source.discover(mirror):
        spec = DownloadSpec(
            url=f"file://{mirror / source.folder}#{release.release}",
            release=release.release,
            filename="",
        )
        folder = root / source.folder
        folder.mkdir(parents=True, exist_ok=True)
        names = [str(p.relative_to(mirror / source.folder)) for p in release.files]
        if _manifest_ok(folder, spec):
            results.append(DownloadResult(source.name, release.release, folder, False, names))
            continue
        for path, name in zip(release.files, names, strict=True):
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, folder / name)
        _record(folder, spec, names)
        results.append(DownloadResult(source.name, release.release, folder, True, names))
    return results
