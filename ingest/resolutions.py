"""Sections → resolutions: what a meeting decided, verbatim, and what a report asked it to decide.

Decisions are read from minutes: "RESOLVED that …" / "AGREED …" paragraphs, "The Committee …
resolved to approve the following recommendations: 1. … 2. …" lists (one record per entry),
sentences saying a meeting agreed or decided something, minutes confirmed as correct, vote
blocks ("RESULT: APPROVED …"), and motions ("Moved by X, seconded by Y … Motion carried 5-2",
"It was proposed by X, seconded by Y and agreed …", "X (motion), Y (second)"). Motions are read
from any record of a meeting (a transcript, a meeting report), and a resolution's own text
("RESOLUTION NO. … NOW, THEREFORE, BE IT RESOLVED …") from any paper: a decision once it records
its adoption, a proposal before. Mover, seconder and vote are filled where the papers give them.
Proposals are the recommendations a report puts to a meeting ("The Committee is asked to note …").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.models import Document, Line, Resolution, Section
from ingest.text import join_lines, split_sentences, typical_width

# Said with a colon at the end of the line (see _introduces_list); as one pattern, "word.*:$" ran
# to the line's end from every decision word in it, quadratic on a line of them.
_LIST_INTRO = re.compile(r"\b(?:resolved|agreed|decided|recommended|approved?)\b", re.I)
_LIST_ENTRY = re.compile(r"^\s*(?P<num>\d{1,2}|\(?[ivx]{1,4}\)|[a-z]\)|\([a-z]\))[.)]?\s+(?P<text>\S.*)$")
# A paragraph that opens with the decision word, as formal minutes print each decision:
# "RESOLVED that …", "3. RESOLVED –", "AGREED:", "Resolved that …", "It was resolved that …".
_RESOLVED_PARA = re.compile(
    r"^\s*(?:\d{1,2}\.\s+)?(?:(?:It was\s+)?(?:unanimously\s+)?(?:RESOLVED|AGREED)\b"
    r"|Resolved\b(?=\s+that\b|\s*[:,–-])|It was\s+(?:unanimously\s+)?resolved\b)"
)
_DECISION_SENTENCE = re.compile(
    r"\b(?:resolved|agreed|decided)(?:\s+(?:that|to|unanimously|the following)\b|\s*:)"
    r"|\bwere confirmed as (?:a )?correct\b|\bwas confirmed as (?:a )?correct\b",
    re.I,
)
# Not the meeting's decision: an earlier one ("had agreed") or one person's undertaking
# ("Mr Smith agreed to write", "Cllr. J. Davies agreed to follow up").
_NOT_DECISION = re.compile(
    r"\b(?:had|has|have)\s+(?:been\s+)?(?:\w+\s+)?(?:agreed|resolved|decided)\b"
    r"|\b(?:Mr|Mrs|Ms|Miss|Dr|Cllr|Councillor)\.?(?:\s+[A-Z][\w'’-]*\.?){1,3}\s+agreed\b"
)
_SUBPOINT = re.compile(r"^\s*(?:[A-Za-z]\)|\([a-z]{1,4}\)|[ivx]{1,4}\)|[a-z]\.)\s")
PARAGRAPH_END_RATIO = 0.8
"""A line ending a sentence and shorter than this share of the widest line ends its paragraph."""

# --- motions -----------------------------------------------------------------------------
# A person as minutes name a mover or seconder: capitalised words and initials, with a title
# ("Cllr. O. Williams", "Commissioner Allen Fisk", "Vice Mayor Anderson", "McPherson"); never
# a pronoun or article, and never the vote word that follows ("MOTION BY: X SECOND: Y"). It starts
# where a word starts: from every capital of a long upper-case run, it was quadratic.
_NOT_NAME = r"(?:I|It|We|They|He|She|This|That|These|The|On|In|At|As|If|For|When|And|But|An?)\b"
_NAME_STOP = r"(?i:second|ayes|nays|yeas|absent|abstain|result|motion|carried)"
_NAME = rf"(?<![\w'’.-])(?!{_NOT_NAME})[A-Z][\w'’.-]+(?:[ \t]+(?!{_NAME_STOP})[A-Z][\w'’.-]*){{0,4}}"
# Who moved (proposed) a motion, in the forms minutes everywhere use: "Moved by X", "It was
# proposed by X", "MOTION BY: X", "Moved: X", "Moved X", "X made a motion", "X moved that …",
# "X (motion)", and in a transcript "X: I'll move it".
_MOVER = re.compile(
    rf"\b(?i:proposed|moved|motion(?:\s+made)?)\s+(?i:by)\s*:?\s*(?P<a>{_NAME})"
    rf"|\b(?i:moved)\s*:?\s+(?!by\b)(?P<b>{_NAME})"
    rf"|(?P<c>{_NAME})\s+(?:made\s+a\s+motion|(?:moved|proposed)\s+(?=(?:that|to|the|approval|adoption|an?)\b))"
    rf"|(?P<d>{_NAME})\s*\((?i:motion)\)"
    rf"|(?P<e>{_NAME}):\s*I\s*['’]?\s*ll\s+move"
)
# Who seconded it: "seconded by Y", "SECOND: Y", "Seconded: Y", "Y (second)", "Y seconded",
# and in a transcript "Y: I'll second".
_SECONDER = re.compile(
    rf"\b(?i:second(?:ed)?)\s+(?i:by)\s*:?\s*(?P<a>{_NAME})"
    rf"|\b(?i:second(?:ed|er)?)\s*:\s*(?P<b>{_NAME})"
    rf"|(?P<c>{_NAME})\s*\((?i:second(?:ed)?)\)"
    rf"|(?P<d>{_NAME})\s+seconded\b(?!\s+by)"
    rf"|(?P<e>{_NAME}):\s*(?:I\s*['’]?\s*ll\s+)?second\b"
)
_RESULT_WORDS = r"carried|passed|approved|adopted|failed|defeated|lost|rejected|denied"
# "Motion carried 5-2", "Motion was lost": how every council's minutes close a motion.
_MOTION_RESULT = rf"\b(?i:motion)\s+(?:was\s+)?(?P<said>(?i:{_RESULT_WORDS}))\b"
# A motion put without naming its mover: "MOTION: …", a line that opens with its outcome
# ("APPROVED – 2018 budget", "Motion carried."), a roll call ("Yeas: …"), "she proposed &
# Cllr Y seconded that …".
_MOTION_OPENING = re.compile(
    rf"^\s*(?:[•▪o]\s*)?(?:MOTION\s*:|(?:{_RESULT_WORDS.upper()})\s*[–—-]\s*\S|(?i:yeas|ayes)\s*:|{_MOTION_RESULT})"
    r"|\b(?:proposed|moved)\s*(?:&|and)\s+[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*)*\s+seconded\b"
)
# How a motion ended: "Motion carried", "RESULT: APPROVED", an outcome in capitals ("CARRIED",
# "PASSED AND ADOPTED"), "Minutes approved – X (motion)", "carried 5-0", "Vote: 5-0",
# "Unanimous Voice Vote", "All Councillors present were in agreement".
_OUTCOME = re.compile(
    _MOTION_RESULT + r"|\bRESULT\s*:\s*(?P<result>[A-Za-z]+)"
    r"|\b(?P<caps>CARRIED|APPROVED|ADOPTED|PASSED|FAILED|DEFEATED)\b"
    rf"|\b(?P<dash>{_RESULT_WORDS})\s*[–—-]\s|\b(?P<carried>(?i:carried))\s+(?:unanimously|\d)"
    r"|\b(?i:vote)\s*:?\s*\d+\s*-\s*\d+|\b(?i:unanimous)\s+(?i:voice\s+)?vote\b|\bin agreement\b"
)
# The count that follows an outcome: "carried 5-2", "FAILED [4-2-1-1]", "Vote: 5-0".
_TALLY = re.compile(rf"\b(?i:{_RESULT_WORDS}|vote)\W{{0,3}}(\d{{1,2}}(?:\s?-\s?\d{{1,2}}){{1,3}})\b")
# A vote block's lines ("RESULT: APPROVED" then "MOTION BY: X", "AYES: …") and a roll call's
# ("Yeas: …", "Nays: Coleman.", "Absent: Cownie.").
_VOTE_START = re.compile(r"^\s*RESULT:\s*\S")
_VOTE_LINE = re.compile(r"^\s*(?:MOTION BY|SECOND(?:ER)?|Yeas|Ayes|Nays|Noes|Pass|Abstain\w*|Absent|Recused)\s*:", re.I)
_ROLL_WHO = r"(?i:yeas|ayes|nays|noes|abstain\w*|absent)"
_ROLL = re.compile(rf"\b(?P<who>{_ROLL_WHO})\s*:\s*(?P<names>[^:;]*?)(?=\s+{_ROLL_WHO}\s*:|[.;]|$)")
# A transcript's roll call: "Commissioner Menendez: Yes".
_SPOKEN_VOTE = re.compile(r"^[^:]{2,60}:\s*(?:yes|no|aye|nay|yea)\b\.?$", re.I)
MOTION_SENTENCES = 8
"""A motion, its seconder, roll call and outcome take at most this many sentences."""

# --- sentences ---------------------------------------------------------------------------
# A sentence ending in an initial, a title, "by" or a vote word ("… proposed by Cllr. D.",
# "Nays:") has not ended: the name wrapped onto the next line.
_NAME_BREAK = re.compile(
    rf"\b(?:Cllr|Councillor|Mr|Mrs|Ms|Dr|Commissioner)\.?$|(?:^|\s)[A-Z]\.$|\bby$|\b{_ROLL_WHO}\s*:$"
)
# Asterisks ("* * * * *", "**Council considered …**") set a note or rule apart: no sentence runs across.
_RULE = re.compile(r"\*(?:\s*\*)+")
# A bullet or a list enumerator ("iv) …", "(b) …") starts an entry: no sentence runs into it.
_BULLET = re.compile(r"^\s*(?:[•▪●◦]|o\s|\(?(?:[ivx]{1,4}|[a-z])\)\s)")

# --- resolution texts --------------------------------------------------------------------
# A resolution's own text: "NOW, THEREFORE, BE IT RESOLVED …" ("BE IT FURTHER RESOLVED" goes on
# with the same one) up to the line that records its adoption and the vote lines under it.
_BE_IT_RESOLVED = re.compile(r"\bBE IT RESOLVED\b", re.I)
_ADOPTION = re.compile(rf"\b(?i:passed\s+and\s+adopted|adopted\s+this|was\s+adopted|duly\s+adopted)\b|{_MOTION_RESULT}")
_ADOPTION_DETAIL = re.compile(
    r"^\s*(?:Moved|Seconded|Second|Vote|Unanimous|Agenda\s*Item|Yeas|Nays|Ayes|Absent|Motion)\b", re.I
)
_MOTION_RESULT_LINE = re.compile(_MOTION_RESULT)
# A roll-call sheet prints "Moved by … to adopt" under the text even when the name is left blank.
_MOVED_BY = re.compile(r"\bmoved\s+by\b", re.I)
_RESOLUTION_NUMBER = re.compile(r"\bRESOLUTION\s+(?:NO\.?\s*:?\s*)?(\d[\w-]*\d|\d)\b", re.I)
_AGENDA_ITEM = re.compile(r"\bAgenda\s*Item\s*(?:No\.?\s*)?([A-Z]{1,2}-\d{1,3}|\d{1,3}[A-Z]?)\b")


@dataclass
class _Found:
    """A decision or proposal found in a section, before it becomes a :class:`Resolution`."""

    lines: list[Line]
    number: str | None = None
    kind: str = "decision"
    context: str = ""
    """Text after the record that still tells how it went (a roll-call sheet's "MOTION CARRIED")."""
    item: str | None = None


def extract_resolutions(doc: Document, sections: Sequence[Section]) -> list[Resolution]:
    """Decisions in minutes and other records of a meeting; resolution texts in any paper;
    proposals in a report's recommendations section."""
    found: list[Resolution] = []
    width = typical_width([ln.text for ln in doc.lines])
    # Minutes that record decisions as "RESOLVED …" use that form for all of them: a sentence
    # such as "Members agreed to refer it to Council" is then a report of another meeting.
    # ("It was resolved that …" is prose, and does not make minutes formal.)
    formal = doc.doc_type == "minutes" and any(
        (m := _RESOLVED_PARA.match(ln.text)) and re.search(r"RESOLVED|AGREED", m.group(0)) for ln in doc.lines
    )
    for section in sections:
        if section.kind not in ("item", "preamble", "section"):
            continue
        adopted, rest = _resolution_texts(section.lines)
        kept = {id(ln) for ln in rest}
        heading_lines = sum(1 for ln in section.lines[: int(section.extra.get("heading_lines", "1"))] if id(ln) in kept)
        texts: list[_Found]
        if doc.doc_type == "minutes" and section.kind in ("item", "preamble"):
            texts = _decisions(rest, heading_lines, width, formal, prose=True)
        elif (
            doc.doc_type == "report"
            and section.kind == "section"
            and section.number is None  # the cover sheet's "Recommendation(s)", not a report's own findings
            and section.title.lower().startswith("recommendation")
        ):
            body = section.lines[1:] if len(section.lines) > 1 else section.lines
            texts = [_Found(list(body), kind="proposal")] if body else []
        else:
            # Any other paper records a decision only as a motion put and voted on (a transcript,
            # a meeting report); its prose about agreeing is not the meeting's own record.
            texts = _decisions(rest, heading_lines, width, formal=False, prose=False)
        # An item printed with a roll-call number ("98-3512 37. …") or headed with a resolution's
        # number ("Resolution No. 2024-12 – …") records its first decision under that number.
        named = _RESOLUTION_NUMBER.search(_join(section.lines[:heading_lines])) if heading_lines else None
        if texts and texts[0].number is None and (named or "roll_call" in section.extra):
            texts[0].number = named.group(1) if named else section.extra["roll_call"]
        for k, f in enumerate(adopted + texts, start=1):
            text = _join(f.lines)
            told = f"{text} {f.context}".strip()
            found.append(
                Resolution(
                    resolution_id=f"{section.section_id}/r{k}",
                    doc_id=doc.doc_id,
                    section_id=section.section_id,
                    kind=f.kind,
                    text=text,
                    number=f.number,
                    organisation=doc.organisation,
                    committee=doc.committee,
                    meeting_date=doc.meeting_date,
                    minute_item=section.number if section.kind == "item" else f.item,
                    page=f.lines[0].page,
                    locator=section.locator,
                    mover=_person(_MOVER, f.lines),
                    seconder=_person(_SECONDER, f.lines),
                    vote=_vote(told),
                )
            )
    return found


def _join(lines: Sequence[Line]) -> str:
    return " ".join(ln.text.strip() for ln in lines).strip()


def _person(pattern: re.Pattern[str], lines: Sequence[Line]) -> str | None:
    """The mover or seconder a record names, as printed ("Cllr. O. Williams", "Coleman")."""
    for line in lines:
        m = pattern.search(line.text)
        if m:
            name = next(g for g in m.groups() if g is not None)
            return " ".join(name.split()).rstrip(".,;)") or None
    return None


def _vote(text: str) -> str | None:
    """How the vote went, compactly: outcome and tally ("carried 5-2", "failed 4-2-1-1"),
    "approved (unanimous)", "5-0", roll-call counts ("Yeas: 6, Nays: 1"); None if not given."""
    m = _OUTCOME.search(text)
    words = ("said", "result", "caps", "dash", "carried")
    outcome = next((m[g] for g in words if m[g]), "").lower() if m else ""
    tally = _TALLY.search(text)
    if tally:
        detail = re.sub(r"\s", "", tally.group(1))
        return f"{outcome} {detail}".strip()
    if re.search(r"\bunanimous(?:ly)?\b", text, re.I):
        return f"{outcome} (unanimous)" if outcome else "unanimous"
    counts = [f"{r['who'].capitalize()}: {_count(r['names'])}" for r in _ROLL.finditer(text)]
    if counts:
        return f"{outcome} ({', '.join(counts)})" if outcome else ", ".join(counts)
    return outcome or None


def _count(names: str) -> int:
    """Members in a roll-call list: "6", "None", "Brown, Mashack and Bello"."""
    names = names.strip()
    if names.isdigit():
        return int(names)
    if not names or names.lower() in ("none", "nil", "0"):
        return 0
    return len([n for n in re.split(r",|\band\b|&", names) if n.strip()])


def _ends_paragraph(line: Line, nxt: Line | None, width: int) -> bool:
    text = line.text.rstrip()
    if nxt is None:
        return True
    if nxt.text.lstrip().startswith("(") and not _SUBPOINT.match(nxt.text):
        return True
    return text.endswith((".", ";")) and len(text) < PARAGRAPH_END_RATIO * width


def _resolution_texts(lines: list[Line]) -> tuple[list[_Found], list[Line]]:
    """A resolution's own text ("… BE IT RESOLVED … PASSED AND ADOPTED …"), and the lines left."""
    found: list[_Found] = []
    used: set[int] = set()
    starts = [i for i, ln in enumerate(lines) if _BE_IT_RESOLVED.search(ln.text)]
    for n, start in enumerate(starts):
        stop = starts[n + 1] if n + 1 < len(starts) else len(lines)
        adoption = (j for j in range(start, stop) if _ADOPTION.search(lines[j].text) or _MOVED_BY.search(lines[j].text))
        end = next(adoption, None)
        if end is None:
            end = stop - 1
        else:
            while end + 1 < stop and (
                lines[end].text.rstrip().endswith(",") or _ADOPTION_DETAIL.match(lines[end + 1].text)
            ):
                end += 1
        body = lines[start : end + 1]
        # After the text, a roll-call sheet may still record the outcome ("MOTION CARRIED").
        told = [j for j in range(end + 1, stop) if _MOTION_RESULT_LINE.search(lines[j].text)]
        context = _join([lines[j] for j in told])
        used.update(told)
        text = f"{_join(body)} {context}"
        numbers = [m.group(1) for ln in lines[:start] for m in _RESOLUTION_NUMBER.finditer(ln.text)]
        item = _AGENDA_ITEM.search(_join(body))
        found.append(
            _Found(
                body,
                numbers[-1] if numbers else None,
                "decision" if _ADOPTION.search(text) or _person(_MOVER, body) else "proposal",
                context,
                item.group(1) if item else None,
            )
        )
        used.update(range(start, end + 1))
    if not used:
        return [], lines
    return found, [ln for i, ln in enumerate(lines) if i not in used]


def _introduces_list(text: str) -> bool:
    """Whether a line introduces a list of decisions: it names one and ends with a colon ("It was
    RESOLVED that the Committee:")."""
    return text.rstrip().endswith(":") and bool(_LIST_INTRO.search(text))


def _decisions(lines: Sequence[Line], heading_lines: int, width: int, formal: bool, prose: bool) -> list[_Found]:
    out: list[_Found] = []
    i = heading_lines
    while i < len(lines):
        text = lines[i].text
        if prose and _RESOLVED_PARA.match(text):
            para = [lines[i]]
            i += 1
            intro_has_points = para[0].text.rstrip().endswith(":")
            while i < len(lines):
                nxt = lines[i]
                if intro_has_points and _SUBPOINT.match(nxt.text):
                    para.append(nxt)
                elif (
                    _RESOLVED_PARA.match(nxt.text)
                    or re.match(r"^\s*\d{1,2}\.\s", nxt.text)
                    or (_ends_paragraph(para[-1], nxt, width) and not intro_has_points)
                    or (intro_has_points and not _SUBPOINT.match(nxt.text) and _ends_paragraph(para[-1], nxt, width))
                ):
                    break
                else:
                    para.append(nxt)
                i += 1
            out.append(_Found(para))
            continue
        if prose and _introduces_list(text) and i + 1 < len(lines) and _LIST_ENTRY.match(lines[i + 1].text):
            i += 1
            while i < len(lines) and (m := _LIST_ENTRY.match(lines[i].text)):
                entry = [lines[i]]
                i += 1
                while i < len(lines) and not _LIST_ENTRY.match(lines[i].text):
                    if lines[i].text.lstrip().startswith("("):
                        break
                    entry.append(lines[i])
                    i += 1
                    if (
                        i < len(lines)
                        and _ends_paragraph(entry[-1], lines[i], width)
                        and not _LIST_ENTRY.match(lines[i].text)
                    ):
                        break
                out.append(_Found(entry, m.group("num").strip("().")))
            continue
        if _VOTE_START.match(text):
            block = [lines[i]]
            i += 1
            while i < len(lines) and _VOTE_LINE.match(lines[i].text):
                block.append(lines[i])
                i += 1
            out.append(_Found(block))
            continue
        i += 1
    if out:
        return out
    # Formal minutes still record motions; their prose about agreeing reports other meetings.
    return _decision_sentences(lines, heading_lines, width, prose and not formal)


def _sentences(lines: Sequence[Line], width: int) -> list[tuple[int, str]]:
    """The sentences of ``lines`` with the index of the line each starts on. A bulleted line
    starts a sentence; a sentence that stops at an initial ("by Cllr. D.") runs on."""
    blocks: list[list[int]] = []
    for k, ln in enumerate(lines):
        if not blocks or _BULLET.match(ln.text):
            blocks.append([])
        blocks[-1].append(k)
    out: list[tuple[int, str]] = []
    for block in blocks:
        text, offsets = join_lines([lines[k].text for k in block], width)
        spans = [(a, b) for s, e in split_sentences(text) for a, b in _cut(text, s, e)]
        for s, e in spans:
            first = block[max(j for j, off in enumerate(offsets) if off <= s)]
            if out and _NAME_BREAK.search(out[-1][1]) and first >= out[-1][0] and s > 0:
                out[-1] = (out[-1][0], f"{out[-1][1]} {text[s:e]}")
            else:
                out.append((first, text[s:e]))
    return out


def _cut(text: str, s: int, e: int) -> list[tuple[int, int]]:
    """The span ``s:e`` of ``text`` cut at rules of asterisks, the rules left out."""
    out: list[tuple[int, int]] = []
    for m in _RULE.finditer(text, s, e):
        out.append((s, m.start()))
        s = m.end()
    out.append((s, e))
    return [(a, b) for a, b in out if text[a:b].strip()]


def _opens_motion(sentence: str) -> re.Match[str] | None:
    """Where a sentence puts a motion: its mover or seconder named, or a motion's opening form."""
    return _MOVER.search(sentence) or _SECONDER.search(sentence) or _MOTION_OPENING.search(sentence)


def _decision_sentences(lines: Sequence[Line], heading_lines: int, width: int, prose: bool) -> list[_Found]:
    """Sentences that record a decision in prose ("It was … agreed that …", "confirmed as
    correct"; with ``prose`` only) or put a motion, with the seconder, roll call and outcome
    sentences that follow it ("Moved by X to adopt. Motion Carried 5-2.")."""
    units = _sentences(lines, width)
    out: list[_Found] = []
    k = taken = 0
    while k < len(units):
        first, sentence = units[k]
        k += 1
        motion = _opens_motion(sentence)
        decision = (
            prose
            and _DECISION_SENTENCE.search(sentence)
            and not _NOT_DECISION.search(sentence)
            and not re.search(r"\bwould\b|\bif\b", sentence[:40], re.I)
        )
        if not (motion or decision):
            continue
        if first < heading_lines:  # the item's heading runs into it: keep the motion, not the title
            cut = motion.start() if motion else sentence.find(": ") + 2 if ": " in sentence else 0
            sentence = sentence[cut:]
        parts = [sentence]
        if _VOTE_LINE.match(sentence) and taken < k - 1 and units[k - 2][0] >= heading_lines:
            first = units[k - 2][0]  # a roll call records the vote on the question just put
            parts.insert(0, units[k - 2][1])
        if motion:
            done = bool(_OUTCOME.search(sentence) or _DECISION_SENTENCE.search(sentence))
            if not done:  # "Moved by X to receive and file. Legal to report back. Motion Carried 5-2."
                ahead = units[k : k + MOTION_SENTENCES]
                end = next((j for j, (_, t) in enumerate(ahead) if _OUTCOME.search(t) or _opens_motion(t)), None)
                if end is not None and _OUTCOME.search(ahead[end][1]) and not _MOVER.search(ahead[end][1]):
                    parts += [t for _, t in ahead[: end + 1]]
                    k += end + 1
                    done = True
            while k < len(units) and len(parts) < MOTION_SENTENCES:
                nxt = units[k][1]
                more = not done and (
                    _SECONDER.search(nxt) or _OUTCOME.search(nxt) or _SPOKEN_VOTE.match(nxt) or _VOTE_LINE.match(nxt)
                )
                if _MOVER.search(nxt) or not (more or (done and _VOTE_LINE.match(nxt))):
                    break  # the next motion, or no longer this one
                parts.append(nxt)
                done = done or bool(_OUTCOME.search(nxt))
                k += 1
        out.append(_Found([Line(lines[first].page, " ".join(parts))]))
        taken = k
    return out
