"""Quoted sentences → the answer's wording: sentences that stand together in one passage are one
quotation citing it once, and a sentence that announces what follows (a list's lead-in, "…
subject to the changes below:") introduces its sentences as plain text, each of them a line.

Decided from where the sentences stand (same passage, next to each other) and how a sentence
ends, never from its words, so it reads the same for every council's papers. Every word stays
the papers' own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

LEAD_IN_END = ":"
"""How a sentence that announces what follows ends, in the papers of every council read so far."""
LEAD_IN_TAIL = "-–— \t"
"""What may stand after that colon ("RESOLVED:-", "as follows: –")."""
BLOCK_BREAK = "\n\n"
"""Between a list and what stands before or after it in the answer."""
ITEM_MARK = "- "
"""Opens each line of a list (Markdown's bullet; plain enough on a terminal)."""


@dataclass(frozen=True)
class Quote:
    """One sentence the answer quotes, with where it stands and its citation."""

    text: str
    """The sentence, verbatim."""
    chunk_id: str
    """The passage it is quoted from."""
    ordinal: int
    """Its place in that passage (0 for the first sentence)."""
    n: int
    """The number of the passage's citation, [n]."""
    joins: bool = False
    """It stands right after the sentence before it in the passage's text, nothing left out between
    (so one quotation can hold both)."""
    continues: bool = False
    """It carries on the list a lead-in of the passage before opened (the list runs over into this one)."""
    dated: str = ""
    """The meeting to name before it ("13 March 2025"), when an answer newest first moves to another meeting."""


def announces(text: str) -> bool:
    """Whether a sentence ends by announcing what follows it (a lead-in)."""
    return text.rstrip(LEAD_IN_TAIL).endswith(LEAD_IN_END)


def _runs(quotes: Sequence[Quote]) -> list[list[Quote]]:
    """``quotes`` cut into runs from one passage each (as they stand in the answer)."""
    runs: list[list[Quote]] = []
    for q in quotes:
        if runs and runs[-1][-1].chunk_id == q.chunk_id:
            runs[-1].append(q)
        else:
            runs.append([q])
    return runs


def _follows(a: Quote, b: Quote) -> bool:
    return b.chunk_id == a.chunk_id and b.ordinal == a.ordinal + 1


def _quoted(sentences: Sequence[Quote]) -> str:
    """Sentences as quotations: one pair of marks over each stretch of the passage's text."""
    parts: list[list[str]] = []
    for i, q in enumerate(sentences):
        if i and q.joins and _follows(sentences[i - 1], q):
            parts[-1].append(q.text)
        else:
            parts.append([q.text])
    return " ".join(f"“{' '.join(p)}”" for p in parts)


def _items(sentences: Sequence[Quote]) -> str:
    return "\n".join(f"{ITEM_MARK}“{q.text}”" for q in sentences)


@dataclass(frozen=True)
class _Piece:
    """A stretch of the answer citing one passage once: quotations, or a list."""

    text: str
    """Its words, ending with the [n] of its passage."""
    listed: bool
    """It is a list (set apart from what stands before and after it)."""
    carried: bool = False
    """It carries on the list just before it (the list runs over into the next passage)."""


def _pieces(run: list[Quote], in_list: bool) -> list[_Piece]:
    """One passage's quotations as pieces each citing it once: a list carried on from the passage
    before (``in_list``: the answer so far ends in one), then quotations and lists as they come."""
    cite = f" [{run[0].n}]"
    out: list[_Piece] = []
    i = 0
    while in_list and i < len(run) and run[i].continues and (i == 0 or _follows(run[i - 1], run[i])):
        i += 1
    if i:
        out.append(_Piece(_items(run[:i]) + cite, True, carried=True))
    plain: list[Quote] = []
    while i < len(run):
        j = i + 1
        while announces(run[i].text) and j < len(run) and _follows(run[j - 1], run[j]):
            j += 1
        if j == i + 1:
            plain.append(run[i])
        else:
            if plain:
                out.append(_Piece(_quoted(plain) + cite, False))
                plain = []
            out.append(_Piece(f"{run[i].text}\n{_items(run[i + 1 : j])}{cite}", True))
        i = j
    if plain:
        out.append(_Piece(_quoted(plain) + cite, False))
    return out


def render(quotes: Sequence[Quote]) -> str:
    """The answer's text from its quotations in reading order: sentences from one passage cite it
    once; a lead-in followed by the sentences it announces is written plainly, then those
    sentences one a line (carried on into the next passage when the list runs over), the list
    set apart from the quotations around it."""
    pieces: list[_Piece] = []
    for run in _runs(quotes):
        these = _pieces(run, bool(pieces) and pieces[-1].listed)
        if run[0].dated and these:
            these[0] = _Piece(f"{run[0].dated}: {these[0].text}", these[0].listed)
        pieces += these
    if not pieces:
        return ""
    text = pieces[0].text
    for before, piece in pairwise(pieces):
        joint = "\n" if piece.carried else BLOCK_BREAK if before.listed or piece.listed else " "
        text += joint + piece.text
    return text
