"""Logins for the app: the ``user:password`` file that ``SCRUTINEER_AUTH_FILE`` names.

A file rather than an environment variable, so passwords stay out of the process environment
and shell history and can be readable by the app's user only. One login per line; blank lines
and lines starting with ``#`` are skipped; the password is everything after the first ``:``.
"""

from __future__ import annotations

import logging
import stat
from pathlib import Path

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
