"""No outbound network: an ingest with the real model, questions through the library, the CLI and
the app's API, all in a subprocess whose sockets refuse every address but loopback.

The guard is a ``sitecustomize`` module on the subprocess's ``PYTHONPATH``, so it is in place
before any library is imported. It wraps ``socket.socket.connect``/``connect_ex``,
``socket.create_connection`` and ``socket.getaddrinfo``: a non-loopback host is refused with
``OSError`` and written to a log, which must hold nothing but the guard's own self-test — a
library that swallows the error (a background telemetry thread, say) is still caught. The
subprocess gets none of the test suite's offline variables (``HF_HUB_OFFLINE``,
``ANONYMIZED_TELEMETRY``, …): the product must keep itself offline. Native code that opens
sockets without Python's ``socket`` module is outside this guard.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORPUS_PDF
from pypdf import PdfReader, PdfWriter

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
SUBSET_PAGES = range(0, 10)
"""The agenda and both sets of minutes of the bundled pack (pages 1-10): a real ingest, kept short."""
SELF_TEST = "create_connection 192.0.2.1 80"
"""What the guard's self-test writes to the log each time a Python process starts under it."""
OFFLINE_VARIABLES = (
    "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "HF_DATASETS_OFFLINE",
    "ANONYMIZED_TELEMETRY",
    "GRADIO_ANALYTICS_ENABLED",
    "TOKENIZERS_PARALLELISM",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
)

GUARD = '''
"""Refuse every socket connection and name lookup that is not loopback; log each refusal."""
import ipaddress
import os
import socket

_LOG = os.environ["SCRUTINEER_EGRESS_LOG"]


def _local(host):
    if host is None or host in ("", "localhost", b"localhost"):
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).split("%")[0].strip("[]")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host.endswith(".localhost")
    return address.is_loopback or address.is_unspecified


def _refuse(what, host, port):
    with open(_LOG, "a", encoding="utf-8") as log:
        log.write(f"{what} {host} {port}\\n")
    raise OSError(f"outbound network refused by the test guard: {what} {host}:{port}")


def _check(sock_family, address, what):
    if sock_family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple) and not _local(address[0]):
        _refuse(what, address[0], address[1] if len(address) > 1 else None)


_connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex
_create_connection, _getaddrinfo = socket.create_connection, socket.getaddrinfo


def connect(self, address):
    _check(self.family, address, "connect")
    return _connect(self, address)


def connect_ex(self, address):
    _check(self.family, address, "connect_ex")
    return _connect_ex(self, address)


def create_connection(address, *args, **kwargs):
    _check(socket.AF_INET, tuple(address), "create_connection")
    return _create_connection(address, *args, **kwargs)


def getaddrinfo(host, port, *args, **kwargs):
    if not _local(host):
        try:
            _refuse("getaddrinfo", host, port)
        except OSError as exc:
            raise socket.gaierror(socket.EAI_NONAME, str(exc)) from None
    return _getaddrinfo(host, port, *args, **kwargs)


socket.socket.connect = connect
socket.socket.connect_ex = connect_ex
socket.create_connection = create_connection
socket.getaddrinfo = getaddrinfo

# Self-test: the guard is in place (the parent expects this line in the log).
try:
    socket.create_connection(("192.0.2.1", 80), timeout=1).close()
except OSError:
    pass
else:
    raise SystemExit("the egress guard did not refuse a non-loopback address")
'''

CHILD = """
import json, sys, time
from pathlib import Path

from assistant import cli
from assistant.service import Assistant, ChatSession
from ingest.settings import Settings

out = {}
started = time.perf_counter()
out["ingest_exit"] = cli.main(["ingest"])
out["ingest_s"] = round(time.perf_counter() - started, 1)
settings = Settings.from_env()
assistant = Assistant(settings)
questions = [
    "What budget gap was the Council facing for 2024/25?",
    "Who presented the Compliance Progress & Update Report?",
    "How many open jobs were there on 7 March 2024?",
    "What does MTFS stand for?",
    "What is the council's policy on parking permits?",
]
out["answers"] = {q: assistant.ask(q).contract() for q in questions}
session = ChatSession()
assistant.ask("What was the average void turnaround time in 2024?", session=session)
out["follow_up"] = assistant.ask("And in 2023?", session=session).text

import app
from gradio_client import Client
from evals.load import free_port

demo = app.build_app(assistant)
port = free_port()
demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
try:
    client = Client(f"http://127.0.0.1:{port}/", verbose=False)
    out["api"] = client.predict(questions[0], api_name="/ask")["answer"]
    out["api_session"] = client.predict(questions[1], "s1", api_name="/ask_session")["answer"]
finally:
    demo.close()
print("RESULT " + json.dumps(out))
"""


def test_ingest_and_questions_with_only_loopback_allowed(tmp_path: Path) -> None:
    guard_dir = tmp_path / "guard"
    guard_dir.mkdir()
    (guard_dir / "sitecustomize.py").write_text(GUARD, encoding="utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    writer = PdfWriter()
    reader = PdfReader(CORPUS_PDF)
    for n in SUBSET_PAGES:
        writer.add_page(reader.pages[n])
    with open(corpus / "agenda-pack-pages-1-10.pdf", "wb") as fh:
        writer.write(fh)
    log = tmp_path / "egress.log"
    env = {k: v for k, v in os.environ.items() if k not in OFFLINE_VARIABLES and not k.startswith("SCRUTINEER_")}
    env.update(
        {
            "PYTHONPATH": os.pathsep.join([str(guard_dir), str(ROOT)]),
            "SCRUTINEER_EGRESS_LOG": str(log),
            "SCRUTINEER_CORPUS_DIR": str(corpus),
            "SCRUTINEER_INDEX_DIR": str(tmp_path / "index"),
            "SCRUTINEER_UPLOAD_DIR": str(tmp_path / "uploads"),
            "HOME": str(tmp_path / "home"),  # no caches or tokens from the developer's home
        }
    )
    done = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    refused = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    assert SELF_TEST in refused, "the guard was not installed in the subprocess"
    attempts = [line for line in refused if line != SELF_TEST]
    assert attempts == [], f"outbound connections were attempted: {attempts}\n{done.stderr[-3000:]}"
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))[7:])
    print(f"\n[no-egress subprocess: ingest {result['ingest_s']} s]")
    assert result["ingest_exit"] == 0
    answers = result["answers"]
    assert "£23.335m" in answers["What budget gap was the Council facing for 2024/25?"]["answer"]
    assert (
        "The Strategic Director of My Place"
        in answers["Who presented the Compliance Progress & Update Report?"]["answer"]
    )
    assert "2838" in answers["How many open jobs were there on 7 March 2024?"]["answer"]
    assert "Medium Term Financial Strategy" in answers["What does MTFS stand for?"]["answer"]
    # Whether it declines is the scorer's business, measured by evals.loco; here only that it answered.
    assert isinstance(answers["What is the council's policy on parking permits?"]["abstained"], bool)
    assert result["follow_up"]  # a follow-up was answered in session (its accuracy is evals.loco's to measure)
    assert "£23.335m" in result["api"] and "The Strategic Director of My Place" in result["api_session"]
