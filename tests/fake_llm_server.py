"""A tiny OpenAI-compatible chat server on 127.0.0.1 for tests of ``assistant.llm``.

It answers ``POST /v1/chat/completions`` with a ``chat.completion`` whose content is
``reply``, or with ``status`` / ``raw_body`` to simulate failures, after ``delay_s``
seconds. Every request is recorded. ``stop()`` (or leaving the ``with`` block) wakes any
sleeping handler and shuts the server down, so tests never wait for a slow reply.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
CHAT_PATH = "/v1/chat/completions"
JOIN_TIMEOUT_S = 2.0
POLL_INTERVAL_S = 0.02
"""How often the serving loop checks for shutdown (the default half second slows every teardown)."""


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    """Header names in lower case."""
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def completion(content: str, model: str = "local") -> dict[str, Any]:
    """A minimal ``chat.completion`` response body."""
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        fake = self.server.fake
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        fake.requests.append(RecordedRequest(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        if self.path != CHAT_PATH:
            self._send(404, b'{"error": "not found"}')
            return
        if fake.delay_s and fake.released.wait(fake.delay_s):
            return  # The test is over: drop the connection instead of answering.
        if fake.raw_body is not None:
            self._send(fake.status, fake.raw_body)
        else:
            self._send(fake.status, json.dumps(completion(fake.reply)).encode())

    def _send(self, status: int, payload: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:  # The client gave up (timeout): nothing to answer.
            pass

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("fake LLM server: " + format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    fake: FakeLLMServer


class FakeLLMServer:
    """Start with ``with FakeLLMServer() as server:``; set ``reply`` (or ``status``,
    ``raw_body``, ``delay_s``) before the call; read ``requests`` after."""

    def __init__(self) -> None:
        self.reply = ""
        self.status = 200
        self.raw_body: bytes | None = None
        self.delay_s = 0.0
        self.requests: list[RecordedRequest] = []
        self.released = threading.Event()
        self._httpd = _Server((HOST, 0), _Handler)
        self._httpd.fake = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(POLL_INTERVAL_S,), name="fake-llm-server", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}/v1"

    def start(self) -> FakeLLMServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.released.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(JOIN_TIMEOUT_S)

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
