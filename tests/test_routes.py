"""One login for every route: with a login file set, every route the app's server registers refuses a
request without a login, except what the login page itself needs; features the app does not use are
off, so their routes are not there at all."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

import httpx
import pytest
from conftest import isolated_settings
from fakes import HashEmbedder
from fastapi.routing import _IncludedRouter
from pdf_factory import make_text_pdf

from assistant.logins import NOT_AUTHENTICATED
from assistant.service import Assistant
from evals.load import free_port

USER, PASSWORD = "clerk", "correct horse battery staple"
OPEN_WITHOUT_LOGIN = [
    ("GET", "/", 200),
    ("GET", "/assets/{path:path}", 404),
    ("GET", "/favicon.ico", 200),
    ("GET", "/gradio_api/startup-events", 200),
    ("GET", "/gradio_api/theme.css", 200),
    ("GET", "/logout", 302),
    ("GET", "/manifest.json", 200),
    ("GET", "/static/{path:path}", 404),
    ("GET", "/svelte/{path:path}", 404),
    ("GET", "/theme.css", 200),
    ("HEAD", "/", 200),
    ("POST", "/login", 422),
    ("POST", "/login/", 422),
]
"""(method, route, status without a login): the login page, its form's target, its scripts, styles and icon
(the folders answer 404 for the made-up file name asked for), and the start-up call Gradio's launch makes."""


@dataclasses.dataclass
class Gated:
    url: str
    demo: object
    settings: object


@pytest.fixture(scope="module")
def gated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gated]:
    """The app started as ``scrutineer serve`` starts it (``app.launch``), with a login file, on an empty index."""
    import app

    folder = tmp_path_factory.mktemp("gated")
    logins = folder / "logins"
    logins.write_text(f"{USER}:{PASSWORD}\n", encoding="utf-8")
    logins.chmod(0o600)
    settings = isolated_settings(folder, auth_file=logins)
    assistant = Assistant(settings, embedder=HashEmbedder())
    port = free_port()
    demo = app.launch(app.build_app(assistant), settings, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    try:
        yield Gated(f"http://127.0.0.1:{port}", demo, settings)
    finally:
        demo.close()


def registered_routes(routes: list, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every route, through the routers FastAPI includes (Gradio's /gradio_api one)."""
    for route in routes:
        if isinstance(route, _IncludedRouter):
            yield from registered_routes(route.original_router.routes, prefix + route.include_context.prefix)
            continue
        methods = getattr(route, "methods", None) or {"GET"}  # a mount or websocket route: try a GET
        for method in sorted(methods):
            yield method, prefix + route.path


def concrete(path: str) -> str:
    """A route's path with each parameter filled in (a number, which every typed parameter accepts)."""
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_route_refuses_a_request_without_the_login(gated: Gated) -> None:
    routes = sorted(set(registered_routes(gated.demo.app.routes)))
    paths = {path for _, path in routes}
    # Features the app does not use are off, so their routes are not registered at all.
    assert [p for p in paths if "run-history" in p] == []
    assert "/openapi.json" not in paths and "/docs" not in paths
    opened, refused = [], []
    with httpx.Client(base_url=gated.url, timeout=30) as http:
        for method, path in routes:
            response = http.request(method, concrete(path), json={"data": ["What was resolved?"]})
            if response.status_code == 401 and method != "HEAD":
                assert response.json() == NOT_AUTHENTICATED, (method, path)
            if response.status_code == 401:
                refused.append((method, path))
            else:
                opened.append((method, path, response.status_code))
    assert opened == OPEN_WITHOUT_LOGIN
    assert len(refused) == len(routes) - len(OPEN_WITHOUT_LOGIN)
    # Routes Gradio itself leaves open are among those refused now.
    for route in [
        ("GET", "/gradio_api/heartbeat/{session_hash}"),
        ("POST", "/gradio_api/reset"),
        ("POST", "/gradio_api/cancel"),
        ("GET", "/gradio_api/app_id"),
        ("GET", "/gradio_api/token"),
        ("GET", "/gradio_api/user"),
        ("GET", "/gradio_api/runs"),
        ("GET", "/monitoring/{key}"),
        ("POST", "/gradio_api/vibe-edit"),
        ("GET", "/pdf/{name}"),  # the app's own: "Open the PDF at this page"
    ]:
        assert route in refused, route
    print(f"\n[{len(routes)} routes checked: {len(refused)} refused without a login, {len(opened)} open]")


def test_with_the_login_the_routes_answer(gated: Gated) -> None:
    with httpx.Client(base_url=gated.url, timeout=30) as http:
        assert http.post("/login", data={"username": USER, "password": "wrong"}).status_code == 400
        assert http.get("/config").status_code == 401
        assert http.post("/login", data={"username": USER, "password": PASSWORD}).status_code == 200
        assert http.get("/config").status_code == 200
        info = http.get("/gradio_api/info").json()
        assert sorted(info["named_endpoints"]) == ["/ask", "/ask_filtered", "/ask_session"]
        assert http.get("/gradio_api/runs").status_code == 404  # run history is off
        make_text_pdf(gated.settings.corpus_dir / "minutes.pdf", ["MINUTES OF THE CABINET"])
        served = http.get("/pdf/minutes.pdf")
        assert (served.status_code, served.headers["content-type"]) == (200, "application/pdf")
        assert served.content == (gated.settings.corpus_dir / "minutes.pdf").read_bytes()
        (gated.settings.corpus_dir / ".hidden.pdf").write_bytes(served.content)
        for name, message in [
            ("nothere.pdf", "nothere.pdf: not found in the corpus or upload folder"),
            (".hidden.pdf", ".hidden.pdf: only the PDFs of the corpus and upload folders are served"),
            ("logins", "logins: only the PDFs of the corpus and upload folders are served"),
        ]:
            refused = http.get(f"/pdf/{name}")
            assert (refused.status_code, refused.text) == (404, message)
        http.get("/logout")
        assert http.get("/config").status_code == 401


def test_uploads_land_in_the_apps_own_temp_folder_readable_by_its_user_only(gated: Gated) -> None:
    import os
    import stat
    from pathlib import Path

    with httpx.Client(base_url=gated.url, timeout=30) as http:
        assert http.post("/login", data={"username": USER, "password": PASSWORD}).status_code == 200
        response = http.post(
            "/gradio_api/upload", files={"files": ("minutes.pdf", b"%PDF-1.4 not really", "application/pdf")}
        )
    assert response.status_code == 200
    (stored,) = response.json()
    path = Path(stored)
    assert path.is_relative_to(Path(os.environ["GRADIO_TEMP_DIR"]))
    assert Path(os.environ["GRADIO_TEMP_DIR"]).name == "app-temp"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
