"""The API over real HTTP (uvicorn in a thread, raw keep-alive connections): every error
status leaves the connection usable, an unexpected error included; blank API keys are a
configuration error before the server starts."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from click.testing import CliRunner

from medref.api.app import create_app
from medref.cli import cli
from medref.errors import SettingsError
from medref.kb import KnowledgeBase
from medref.services import knowledge as kb_service
from medref.services.resources import Resources
from medref.settings import Settings
from servers import free_port

pytestmark = pytest.mark.kb

KEY = "k-one"
LIMIT = 2_000


@pytest.fixture(scope="module")
def live(kb: KnowledgeBase, kb_settings: Settings) -> Iterator[tuple[str, int]]:
    settings = kb_settings.model_copy(update={"api_keys": [KEY], "max_upload_bytes": LIMIT})
    app = create_app(settings, Resources(settings))
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield "127.0.0.1", port
    server.should_exit = True
    thread.join(30)


def _send(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> http.client.HTTPResponse:
    conn.request(method, path, body=body, headers={"X-API-Key": KEY, **(headers or {})})
    reply = conn.getresponse()
    reply.read()
    return reply


CASES = [
    ("GET", "/api/search?q=x&source=nope", None, {}, 400),
    ("GET", "/api/search?q=modifier+25&release=bogus", None, {}, 400),
    ("GET", "/api/sources", None, {"X-API-Key": "wrong"}, 401),
    ("GET", "/api/record?ref=HCPCS:Z9999", None, {}, 404),
    ("GET", "/api/no-such-endpoint", None, {}, 404),
    ("DELETE", "/api/health", None, {}, 405),
    ("POST", "/api/em", b"{not json", {"Content-Type": "application/json"}, 422),
    ("POST", "/api/check", b"[" + b" " * LIMIT + b"]", {"Content-Type": "application/json"}, 413),
    ("GET", "/api/sources", None, {}, 500),
]


def test_every_error_keeps_the_keep_alive_connection(
    live: tuple[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_: Resources) -> None:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(kb_service, "sources", broken)
    conn = http.client.HTTPConnection(*live, timeout=60)
    assert _send(conn, "GET", "/api/health").status == 200
    socket = conn.sock
    for method, path, body, headers, status in CASES:
        reply = _send(conn, method, path, body, headers)
        assert reply.status == status, (method, path)
        assert reply.getheader("connection") != "close", (method, path, status)
        assert conn.sock is socket, f"{method} {path} ({status}) closed the connection"
        after = _send(conn, "GET", "/api/health")
        assert after.status == 200 and conn.sock is socket
    conn.close()


def test_an_unexpected_error_is_logged_and_bare(
    live: tuple[str, int], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(_: Resources) -> None:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(kb_service, "sources", broken)
    conn = http.client.HTTPConnection(*live, timeout=60)
    conn.request("GET", "/api/sources", headers={"X-API-Key": KEY})
    reply = conn.getresponse()
    body = json.loads(reply.read())
    assert reply.status == 500 and body["error"]["type"] == "internal_error"
    assert "secret" not in json.dumps(body)
    assert "secret detail" in caplog.text  # the server log has the details
    conn.close()


@pytest.mark.parametrize("keys", ['[""]', '["k1", "  "]', "k1", ""])
def test_blank_or_malformed_api_keys_stop_the_server_at_start(keys: str) -> None:
    result = CliRunner().invoke(cli, ["serve", "--port", "1"], env={"MEDREF_API_KEYS": keys})
    assert result.exit_code == 2
    assert "MEDREF_API_KEYS" in result.output and "Traceback" not in result.output


def test_blank_api_keys_are_refused_by_the_app_too(kb_settings: Settings) -> None:
    with pytest.raises(SettingsError):
        create_app(kb_settings.model_copy(update={"api_keys": [""]}))
