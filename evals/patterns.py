"""Every regular expression in assistant/ and ingest/, timed on pathological text.

    python -m evals.patterns [--size 100000] [--top 15]

A pattern that backtracks (``\\w+-$`` searched through a long word, ``[^?]*\\brecommend`` through a
long sentence) takes time that grows with the square or cube of the text, and ``re`` holds the GIL
while it runs, so one question or one page can stall every other request. The patterns are found,
not listed: compiled patterns in module globals (alone or inside a tuple, list, set or dict), in
class attributes, and the literal patterns passed to ``re.search``/``re.sub``/... anywhere in the
source, so a new pattern is covered the day it is written. Each runs (``finditer`` to the end, which
is a ``search`` from every position, and ``fullmatch``) over long runs of one letter, of spaces, of
a repeated word (``council``, and each word the pattern itself spells), of punctuation, of digits
and of a mix, at n and 10·n characters; linear time grows about 10×, quadratic 100×.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import pkgutil
import re
import signal
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

PACKAGES = ("assistant", "ingest")
SMALL = 10_000
"""Characters of the smaller text; the larger is ten times this."""
GROWTH = 10
CAP_S = 1.0
"""Most CPU seconds any one pattern may take on the larger text, whatever its growth."""
NOISE_FLOOR_S = 0.02
"""Below this on the larger text a growth ratio is timer noise, not backtracking."""
MAX_GROWTH = 35.0
"""Time ratio between the two sizes that fails a pattern: linear is ~10, quadratic ~100 (generous
for a busy machine, where one of two short timings can be stretched)."""
PATTERN_WORDS = 3
"""Literal words of a pattern used as repeated-word inputs of its own ("Action Action …")."""

_RE_CALLS = frozenset({"compile", "search", "match", "fullmatch", "findall", "finditer", "sub", "subn", "split"})
_FLAG_POSITION = {"compile": 1, "search": 2, "match": 2, "fullmatch": 2, "findall": 2, "finditer": 2}
"""Where a literal call takes its flags positionally (sub/subn/split put count or maxsplit first)."""
_LITERAL_WORD = re.compile(r"(?<![\\\w])[A-Za-z]{3,}")


@dataclass(frozen=True)
class Found:
    pattern: re.Pattern[str]
    where: str
    """Module and name (or line) it was found under."""


@dataclass(frozen=True)
class Timing:
    where: str
    pattern: str
    text: str
    """Which pathological text (its name)."""
    small_s: float
    large_s: float
    """CPU seconds at SMALL and GROWTH × SMALL characters (``CAP_S`` when stopped at the cap)."""

    @property
    def growth(self) -> float:
        return self.large_s / max(self.small_s, 1e-6)

    @property
    def failed(self) -> bool:
        return self.large_s >= CAP_S or (self.large_s >= NOISE_FLOOR_S and self.growth > MAX_GROWTH)


def modules() -> Iterator[ModuleType]:
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        yield package
        for info in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            yield importlib.import_module(info.name)


def _patterns_in(value: object, depth: int = 0) -> Iterator[re.Pattern[str]]:
    if isinstance(value, re.Pattern):
        if isinstance(value.pattern, str):
            yield value
    elif depth < 2 and isinstance(value, tuple | list | set | frozenset):
        for item in value:
            yield from _patterns_in(item, depth + 1)
    elif depth < 2 and isinstance(value, dict):
        for item in value.values():
            yield from _patterns_in(item, depth + 1)


def _literal_patterns(module: ModuleType) -> Iterator[Found]:
    """Patterns written as string literals in ``re.<call>(...)`` anywhere in the module's source
    (inside functions too, where no global holds them)."""
    source = Path(module.__file__ or "").read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(source)):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "re"
            and node.func.attr in _RE_CALLS
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            continue
        flags_node = next((k.value for k in node.keywords if k.arg == "flags"), None)
        position = _FLAG_POSITION.get(node.func.attr)
        if flags_node is None and position is not None and len(node.args) > position:
            flags_node = node.args[position]
        flags = eval(compile(ast.Expression(flags_node), "<flags>", "eval"), {"re": re}) if flags_node else 0
        yield Found(re.compile(node.args[0].value, flags), f"{module.__name__}:{node.lineno}")


def find_patterns(where: Iterable[ModuleType] | None = None) -> list[Found]:
    """Every distinct (pattern, flags) in the modules (those of the packages unless told), with
    the first place it was found."""
    found: dict[tuple[str, int], Found] = {}
    for module in modules() if where is None else where:
        places: list[tuple[str, object]] = list(vars(module).items())
        for name, value in list(places):
            if isinstance(value, type) and value.__module__ == module.__name__:
                places += [(f"{name}.{attr}", v) for attr, v in vars(value).items()]
        for name, value in places:
            for pattern in _patterns_in(value):
                found.setdefault((pattern.pattern, pattern.flags), Found(pattern, f"{module.__name__}.{name}"))
        for item in _literal_patterns(module):
            found.setdefault((item.pattern.pattern, item.pattern.flags), item)
    return list(found.values())


def texts(pattern: re.Pattern[str]) -> dict[str, str]:
    """Name → a unit repeated to make the pathological text (each is cut to length)."""
    units = {
        "letters": "a",
        "capitals": "A",
        "spaces": " ",
        "newlines": "\n",
        "council": "council ",
        "Council": "Council ",
        "dots": ".",
        "hyphens": "-",
        "punctuation": ".,;:-()?'",
        "digits": "1",
        "digit groups": "12.3 ",
        "mixed": "Aa1 .-(",
    }
    for word in list(dict.fromkeys(_LITERAL_WORD.findall(pattern.pattern)))[:PATTERN_WORDS]:
        units[f"{word!r} repeated"] = f"{word} "
    return units


class _Cap(Exception):
    pass


def _on_alarm(*_: object) -> None:
    raise _Cap


def _time(pattern: re.Pattern[str], text: str, repeats: int) -> float:
    """Best of ``repeats`` runs of finditer (consumed) and fullmatch, in CPU seconds of this thread
    (other processes on a shared machine do not stretch them), stopped at ``CAP_S`` of CPU time
    (``re`` checks for signals while it backtracks, so the alarm stops even a runaway pattern)."""
    best = CAP_S
    previous = signal.signal(signal.SIGVTALRM, _on_alarm)
    try:
        for _ in range(repeats):
            signal.setitimer(signal.ITIMER_VIRTUAL, CAP_S)
            started = time.thread_time()
            try:
                for _match in pattern.finditer(text):
                    pass
                pattern.fullmatch(text)
            except _Cap:
                return CAP_S
            finally:
                signal.setitimer(signal.ITIMER_VIRTUAL, 0)
            best = min(best, time.thread_time() - started)
    finally:
        signal.signal(signal.SIGVTALRM, previous)
    return best


def measure(found: Found, small: int = SMALL, only: Iterable[str] | None = None) -> list[Timing]:
    """The pattern's timings on each of its texts (or the ``only`` ones named)."""
    timings = []
    units = texts(found.pattern)
    for name, unit in units.items() if only is None else ((n, units[n]) for n in only):
        short = (unit * (small // len(unit) + 1))[:small]
        long = (unit * (GROWTH * small // len(unit) + 1))[: GROWTH * small]
        # The short run is repeated: it is the one a scheduler hiccup distorts most.
        small_s = _time(found.pattern, short, repeats=3)
        large_s = CAP_S if small_s >= CAP_S else _time(found.pattern, long, repeats=1)
        timing = Timing(found.where, found.pattern.pattern, name, small_s, large_s)
        if timing.failed and large_s < CAP_S:
            # Measured again before it counts: on a shared machine one run can be stretched many times.
            small_s = min(small_s, _time(found.pattern, short, repeats=3))
            large_s = min(large_s, _time(found.pattern, long, repeats=2))
            timing = Timing(found.where, found.pattern.pattern, name, small_s, large_s)
        timings.append(timing)
    return timings


def measure_all(small: int = SMALL) -> list[Timing]:
    return [t for found in find_patterns() for t in measure(found, small)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=SMALL, help="characters of the smaller text")
    parser.add_argument("--top", type=int, default=15, help="slowest (pattern, text) pairs to print")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    patterns = find_patterns()
    timings = [t for found in patterns for t in measure(found, args.size)]
    print(f"{len(patterns)} patterns × their texts at {args.size:,} and {GROWTH * args.size:,} characters")
    print(f"{'large s':>8} {'growth':>7}  pattern (where) on text")
    for t in sorted(timings, key=lambda t: -t.large_s)[: args.top]:
        mark = "FAIL" if t.failed else "    "
        print(f"{t.large_s:8.4f} {t.growth:6.1f}x {mark} {t.pattern[:60]!r} ({t.where}) on {t.text}")
    print(f"{sum(t.failed for t in timings)} failed; {time.perf_counter() - started:.1f} s in all")
    return 1 if any(t.failed for t in timings) else 0


if __name__ == "__main__":
    sys.exit(main())
