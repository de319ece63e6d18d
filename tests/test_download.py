"""`medref download` against a real HTTP server on loopback serving the official zip layout:
manifests with SHA-256, idempotent re-runs, clear errors, and a build from the cache."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from medref.download import download_source, mirror_copy, sha256
from medref.errors import DownloadError
from medref.kb import KnowledgeBase
from medref.services.knowledge import build
from medref.settings import Settings
from medref.sources import DownloadSpec, get_source
from medref.sources.base import Source


class Files(BaseHTTPRequestHandler):
    served: ClassVar[dict[str, bytes]] = {}
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        body = self.served.get(self.path)
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        return


@pytest.fixture()
def server() -> Iterator[str]:
    Files.served, Files.hits = {}, []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Files)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


class Pointed:
    """The real HCPCS source with its download location pointed at the loopback server."""

    def __init__(self, source: Source, url: str) -> None:
        self._source = source
        self._url = url
        self.name, self.folder = source.name, source.folder

    def downloads(self) -> list[DownloadSpec]:
        return [
            DownloadSpec(self._url, "2026-01", "hcpcs.zip", unzip=True, members=("*.txt", "*.xlsx"))
        ]


def _hcpcs_zip(cms_dir: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted((cms_dir / "hcpcs/2026-01").iterdir()):
            if path.name.startswith("HCPC2026_JAN_ANWEB_01") or path.name.startswith("proc_notes"):
                zipped.write(path, f"2026-alpha-numeric/{path.name}")
    return buffer.getvalue()


def test_download_writes_manifest_and_is_idempotent(
    server: str, cms_dir: Path, tmp_path: Path
) -> None:
    Files.served["/hcpcs.zip"] = _hcpcs_zip(cms_dir)
    source = Pointed(get_source("hcpcs"), f"{server}/hcpcs.zip")
    with httpx.Client() as client:
        [first] = download_source(source, tmp_path, client=client, progress=False)  # type: ignore[arg-type]
        assert first.fetched and "HCPC2026_JAN_ANWEB_01122026.txt" in first.files
        manifest = json.loads((first.folder / "manifest.json").read_text())
        entry = manifest["downloads"][f"{server}/hcpcs.zip"]
        txt = first.folder / "HCPC2026_JAN_ANWEB_01122026.txt"
        assert entry["files"][txt.name] == sha256(txt)
        assert sha256(txt) == sha256(cms_dir / "hcpcs/2026-01" / txt.name)
        [again] = download_source(source, tmp_path, client=client, progress=False)  # type: ignore[arg-type]
    assert not again.fetched and Files.hits == ["/hcpcs.zip"]

    settings = Settings(
        home=tmp_path / "home", sources=tmp_path, embeddings=False, vault=tmp_path / "no-vault"
    )
    build(settings, only=["hcpcs"], progress=False, log=lambda _m: None)
    record = KnowledgeBase.open(settings).get("HCPCS:G0439")
    assert record is not None and record.release == "2026-01"


def test_download_errors_name_the_url_and_keep_nothing_partial(server: str, tmp_path: Path) -> None:
    Files.served["/broken.zip"] = b"PK\x03\x04 this is not a whole zip"
    with httpx.Client() as client:
        missing = Pointed(get_source("hcpcs"), f"{server}/missing.zip")
        with pytest.raises(DownloadError, match="HTTP 404"):
            download_source(missing, tmp_path, client=client, progress=False)  # type: ignore[arg-type]
        broken = Pointed(get_source("hcpcs"), f"{server}/broken.zip")
        with pytest.raises(DownloadError, match="not a valid zip"):
            download_source(broken, tmp_path, client=client, progress=False)  # type: ignore[arg-type]
    assert not list(tmp_path.rglob("*.part")) and not list(tmp_path.rglob("*.zip"))
    assert not list(tmp_path.rglob("manifest.json"))


def test_mirror_copy_keeps_the_layout(cms_dir: Path, tmp_path: Path) -> None:
    [result] = mirror_copy(get_source("pos"), cms_dir, tmp_path)
    assert result.fetched
    assert (tmp_path / "pos/place_of_service_codes.csv").exists()
    [again] = mirror_copy(get_source("pos"), cms_dir, tmp_path)
    assert not again.fetched
