"""A tiny OpenAI chat-completions server on loopback for the LLM answerer's tests. It is a
real HTTP server (http.server in a thread); what it replies is decided by a function of the
request body, so each test states its "model" in plain code."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = Callable[[dict[str, Any]], str]


@dataclass
class ChatServer:
    reply: Reply
    status: int = 200
    delay: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    url: str = ""


def _handler(server: ChatServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output quiet
            return

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            server.requests.append(body)
            server.headers.append(dict(self.headers.items()))
            if self.path != "/v1/chat/completions":
                self._send(404, {"error": {"message": "not found"}})
                return
            time.sleep(server.delay)
            if server.status != 200:
                self._send(server.status, {"error": {"message": "model crashed"}})
                return
            content = server.reply(body)
            if body.get("stream"):
                self._stream(content)
            else:
                self._send(
                    200,
                    {
                        "id": "x",
                        "object": "chat.completion",
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": content},
                                "finish_reason": "stop",
                            }
                        ],
                    },
                )

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, content: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            pieces = [content[i : i + 7] for i in range(0, len(content), 7)]
            for piece in pieces:
                event = {"choices": [{"index": 0, "delta": {"content": piece}}]}
                self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

    return Handler


@contextmanager
def chat_server(reply: Reply, *, status: int = 200, delay: float = 0.0) -> Iterator[ChatServer]:
    """A running server; `url` is the OpenAI base URL (`http://127.0.0.1:<port>/v1`)."""
    state = ChatServer(reply, status, delay)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


def evidence_blocks(body: dict[str, Any]) -> dict[int, str]:
    """The evidence blocks of the user message, by number, as the model would read them."""
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    return {
        int(n): text
        for n, text in re.findall(r'<evidence id="(\d+)"[^>]*>\n(.*?)\n</evidence>', user, re.S)
    }
