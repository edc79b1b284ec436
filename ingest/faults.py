"""Named fault-injection points inside ingest, for crash-safety tests.

``SCRUTINEER_FAULT_POINT=<point>`` (or ``<point>@<n>`` for the n-th time it is reached)
makes the process kill itself with SIGKILL when ingest reaches that point, as a power cut
or an out-of-memory kill would: no ``finally`` blocks, no flushing. Unset, :func:`reached`
is one comparison with ``None``. This is a test hook, not a setting, so it is read here
rather than in :mod:`ingest.settings`.
"""

from __future__ import annotations

import logging
import os
import signal

log = logging.getLogger(__name__)

ENV_VAR = "SCRUTINEER_FAULT_POINT"

POINTS: dict[str, str] = {
    "mid_remove": "removing a file: its pending marker written, some of its rows deleted",
    "after_parse": "a file parsed, nothing of it embedded or written",
    "mid_embedding": "a file's first batch of new texts embedded, nothing of it written",
    "after_pending_marker": "a file's pending marker written, none of its rows",
    "mid_staging": "a replacement's new chunks staged, its sentences and records not; the live rows untouched",
    "before_switch": "a replacement's new rows all staged and its switch begun, no live row changed yet",
    "mid_chroma_write": "a file's chunks written (and its stale chunks deleted), its sentences and records not",
    "before_file_record": "all of a file's rows written, its file record and commit not",
    "before_marker_clear": "a file's file record and commit written, its pending marker not yet cleared",
    "mid_settle": "settling copies: passages coming back and notes written, copies not yet held; marker not cleared",
    "after_chroma_write": "every file written to Chroma, the lexical index not yet refreshed",
    "mid_recovery": "recovery of an unsettled file: some of its rows deleted or switched, its marker not cleared",
}
"""Every point, in the order one ingest reaches them, with the state the index is left in."""


def _parse(value: str | None) -> tuple[str, int] | None:
    if not value:
        return None
    name, _, count = value.partition("@")
    if name not in POINTS:
        raise ValueError(f"{ENV_VAR}={value!r} names no fault point; known points: {', '.join(POINTS)}")
    try:
        nth = int(count) if count else 1
    except ValueError:
        raise ValueError(f"{ENV_VAR}={value!r}: the part after '@' must be a whole number") from None
    if nth < 1:
        raise ValueError(f"{ENV_VAR}={value!r}: the part after '@' must be 1 or more")
    return name, nth


_armed = _parse(os.environ.get(ENV_VAR))
_seen = 0


def arm(value: str | None) -> None:
    """Set (or, with None, clear) the fault point in this process, as the environment variable does."""
    global _armed, _seen
    _armed = _parse(value)
    _seen = 0


def reached(point: str) -> None:
    """Ingest has reached ``point``: die here by SIGKILL if this is the armed point (and count)."""
    global _seen
    if _armed is None or _armed[0] != point:
        return
    _seen += 1
    if _seen == _armed[1]:
        log.warning("fault point %s reached: killing this process (pid %d) with SIGKILL", point, os.getpid())
        os.kill(os.getpid(), signal.SIGKILL)
