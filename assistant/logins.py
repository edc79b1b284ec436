"""Logins for the app: the ``user:password`` file that ``SCRUTINEER_AUTH_FILE`` names, and the gate
(:class:`LoginGate`) that makes every route but the login page's ask for one.

A file rather than an environment variable, so passwords stay out of the process environment
and shell history and can be readable by the app's user only. One login per line; blank lines
and lines starting with ``#`` are skipped; the password is everything after the first ``:``.
"""

from __future__ import annotations

import logging
import stat
from pathlib import Path
from typing import Any

from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse

log = logging.getLogger(__name__)


class LoginFileError(ValueError):
    """The login file cannot be used; the message names the file (and line), never a password."""


def read_logins(path: Path) -> list[tuple[str, str]]:
    """(user, password) pairs from ``path``, in file order. Raises LoginFileError."""
    try:
        text = path.read_text(encoding="utf-8")
        mode = path.stat().st_mode
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise LoginFileError(f"{path}: cannot read the login file ({reason})") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("%s: the login file can be read by other users; chmod 600 it", path)
    logins: list[tuple[str, str]] = []
    seen: set[str] = set()
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        user, colon, password = line.partition(":")
        user = user.strip()
        if not colon or not user or not password:
            raise LoginFileError(f"{path}, line {n}: expected user:password with neither part empty")
        if user in seen:
            raise LoginFileError(f"{path}, line {n}: user {user!r} is listed twice")
        seen.add(user)
        logins.append((user, password))
    if not logins:
        raise LoginFileError(f"{path}: the login file holds no user:password line")
    return logins


# ---- the gate every route passes ----------------------------------------------------------------

LOGIN_PAGE_PATHS = frozenset(
    {"/", "/login", "/login/", "/logout", "/favicon.ico", "/theme.css", "/gradio_api/theme.css", "/manifest.json"}
    # Gradio's launch calls this itself, without a login, to run start-up events once; later calls answer false.
    | {"/gradio_api/startup-events"}
)
"""What the login page itself needs, open without a login: the page, its form's target, its styles and icon."""
LOGIN_PAGE_PREFIXES = ("/assets/", "/static/", "/svelte/")
"""Folders of the page's scripts, fonts and images (Gradio's own build, nothing of the app's)."""
NOT_AUTHENTICATED = {"detail": {"error": "Not authenticated", "auth_message": None}}
"""What Gradio's own login check answers, so every refusal reads the same to a client."""


def is_login_page_path(path: str) -> bool:
    return path in LOGIN_PAGE_PATHS or path.startswith(LOGIN_PAGE_PREFIXES)


class LoginGate:
    """ASGI middleware in front of every route Gradio registers: when the app has logins, a request
    without a login session gets 401 unless it is for the login page itself. Gradio checks the login
    route by route and leaves some out (run history, heartbeat, reset, cancel, monitoring, app id, ...);
    one gate means a route added by a future Gradio is refused too, not open by default."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            gradio_app = scope.get("app")  # Starlette puts the application itself in the scope
            path = scope["path"][len(scope.get("root_path") or "") :] or "/"
            needs_login = getattr(gradio_app, "auth", None) is not None and not is_login_page_path(path)
            if needs_login and not _logged_in(gradio_app, scope):
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008})
                    return
                await JSONResponse(NOT_AUTHENTICATED, status_code=401)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _logged_in(gradio_app: Any, scope: dict[str, Any]) -> bool:
    """Whether the request carries a session cookie Gradio's /login issued (the check Gradio's own routes make)."""
    cookies = HTTPConnection(scope).cookies
    cookie_id = getattr(gradio_app, "cookie_id", "")
    token = cookies.get(f"access-token-{cookie_id}") or cookies.get(f"access-token-unsecure-{cookie_id}")
    return token is not None and token in getattr(gradio_app, "tokens", {})
