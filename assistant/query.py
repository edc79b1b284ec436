"""Question analysis: what kind of answer a question wants, the terms it hinges on, which
meeting it means, and how an elliptical follow-up reads in full. Pure functions of text."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field

from ingest.dates import find_dates

QUESTION_WORDS = frozenset(
    """
    what whats which who whom whose when where why how many much is are was were do does did has have
    had the a an of to in on for and or at by with from this that these those it its be been being can
    could would should will shall may might tell me us please about there their they our we you your i
    any some s stand short mean means meaning compare
    """.split()  # noqa: SIM905 - a word list reads best as text
)
_ACRONYM = re.compile(r"\b[A-Z][A-Za-z0-9&]*[A-Z][A-Za-z0-9&]*s?\b")
_YEAR = re.compile(r"\b(?:19|20)\d\d(?:[/-]\d\d)?\b|\b\d\d/\d\d\b")
_NUMBER_Q = re.compile(
    r"\b(how (many|much|long|often|quickly)|what (?:\w+ )?(share|percentage|proportion|figure|number|amount|total|"
    r"cost|rate|level|balance)s?\b|how big|"
    r"what(?:'s|’s| is| was| were| are) the (?:\w+ )?(average|total|number|rate|cost|amount|"
    r"figure|percentage|share|level|balance|size|value|gap|forecast|budget|target|caseload|turnaround)s?)\b",
    re.I,
)
_WHO_Q = re.compile(
    r"^\s*(?:and\s+)?(who|whom|whose|which (firm|body|company|organisation|officer|councillor|"
    r"elected member|member|team|director|person|peer|partner))\b|\bwho\b",
    re.I,
)
_NAME_Q = re.compile(
    r"^\s*(?:and\s+)?who (?:is|was) (?:the|our|their|its)\b|\bwhat is the name of\b|\bname the\b", re.I
)
_SEVERAL_Q = re.compile(
    r"\bboth\b|\b(two|each of the|all three|three) (reports|meetings|documents|papers|minutes)\b", re.I
)
_WHEN_Q = re.compile(r"^\s*(?:and\s+)?when\b|\b(by when|what date|which date|how long ago|what time)\b", re.I)
_WHERE_Q = re.compile(r"^\s*(?:and\s+)?where\b|\b(what|which) (venue|location|place|building)\b", re.I)
_LIST_Q = re.compile(
    r"\b(list|what (are|were) the \w+s\b|which \w+s\b|what \w+s (did|does|do|are|were|have|has)\b|"
    r"(what|which) (two|three|four|five|six|seven|eight|nine|ten|\d+) (\w+ )?\w+s\b|"
    r"recommendations|priorities|areas|subgroups|objectives|strengths)\b",
    re.I,
)
_DEFINE_Q = re.compile(
    r"\b(?i:what(?:'s|’s| is| does| do| was)|define|meaning of|expand)\s+(?i:the\s+)?(?i:acronym\s+)?"
    r"(?P<term>[A-Z][A-Za-z0-9&/()]*[A-Z][A-Za-z0-9&]*s?)"
    r"(?i:\s+(?:stand for|mean|short for|in full))?\s*\??\s*$"
    r"|(?P<term2>[A-Z][A-Za-z0-9&]*[A-Z][A-Za-z0-9&]*)\s+(?i:stand for|short for|mean)\b",
)
_FOLLOW_UP = re.compile(
    r"^\s*(and|what about|how about|also|so|then)\b|\b(it|its|that|those|they|them|this|these|"
    r"he|she|his|her|their|there|the same)\b",
    re.I,
)
_LATEST = re.compile(
    r"\b(last time|last meeting|latest meeting|most recent meeting|previous meeting|"
    r"last (?:committee )?meeting)\b",
    re.I,
)
_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
_MONTH_MEETING = re.compile(
    r"\b(?:in|at|during|from|of)\s+(?:the\s+)?(?P<month>"
    + "|".join(m for m in _MONTHS)
    + r")\b(?:\s+(?P<year>20\d\d))?"
    r"(?:\s+(?:meeting|minutes|committee))?|\b(?P<month2>" + "|".join(_MONTHS) + r")\s+(?:meeting|minutes)\b",
    re.I,
)
_POINT_IN_MONTH = re.compile(r"\b(?:end|start|beginning|middle|close|by|since|until)\s*$", re.I)
""""At the end of January" dates a figure, not a meeting."""
_MINUTES_OF = re.compile(r"\bminutes of (?:the|its|that|our)?\s*(?:meeting|\d)", re.I)
_YES_NO = re.compile(r"^\s*(did|do|does|is|are|was|were|has|have|had|will|would|can|could|should)\b", re.I)
_LABEL = re.compile(r"\b(?:Band|Tier|Phase|Stage|Level|Grade|Zone|Ward|Option|Scheme) [A-Z0-9]\b")
_MEETINGS = re.compile(r"\b(meetings|minutes)\b", re.I)
_MONTH_NAME = re.compile(r"\b(" + "|".join(_MONTHS) + r")\b", re.I)
ELLIPTICAL_MAX_WORDS = 10
_CONTINUES = re.compile(r"^\s*(and|what about|how about|also)\b", re.I)
CONTINUATION_MAX_WORDS = 16
"""A question that opens with "And …" continues the conversation up to this length."""
"""A follow-up this short that leans on a pronoun or starts with "And" is read with the previous question."""


@dataclass
class QuestionInfo:
    """What the question asks for."""

    text: str
    wants_who: bool = False
    wants_when: bool = False
    wants_number: bool = False
    wants_where: bool = False
    """"Where did …", "what venue": the answer names a place."""
    wants_list: bool = False
    wants_several: bool = False
    """"Both the January and the March meetings", "the two reports": evidence from more than one document."""
    meetings_named: bool = False
    """The question names two or more meetings ("in January … the March minutes"): each is quoted."""
    wants_name: bool = False
    """"Who is the …", "what is the name of …": the answer must name a person, not a role."""
    defines: str | None = None
    """The term of a "what does X stand for" question."""
    acronyms: list[str] = field(default_factory=list)
    years: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    """ISO dates written in full in the question."""
    labels: list[str] = field(default_factory=list)
    """Labels made of a word and a letter or number ("Band D", "Tier 3", "Phase 2")."""
    parts: list[str] = field(default_factory=list)
    """The question split into its separately answerable parts ("X, and what is Y?")."""


def analyse(question: str) -> QuestionInfo:
    define = _DEFINE_Q.search(question)
    term = (define.group("term") or define.group("term2")) if define else None
    return QuestionInfo(
        text=question,
        wants_who=bool(_WHO_Q.search(question)),
        wants_when=bool(_WHEN_Q.search(question)),
        wants_where=bool(_WHERE_Q.search(question)),
        wants_number=bool(_NUMBER_Q.search(question)) and not _YES_NO.match(question),
        wants_list=bool(_LIST_Q.search(question)),
        wants_name=bool(_NAME_Q.search(question)),
        wants_several=bool(_SEVERAL_Q.search(question)),
        defines=term.strip("()") if term else None,
        acronyms=[a for a in _ACRONYM.findall(question) if not a.istitle()],
        years=[y.replace("-", "/") for y in _YEAR.findall(question)],
        labels=[m.group(0) for m in _LABEL.finditer(question)],
        dates=[d.iso for d in find_dates(question)],
        parts=split_parts(question),
    )


def split_parts(question: str) -> list[str]:
    """ "How many people did they talk to, and how many documents did they read?" → two parts."""
    pieces = re.split(
        r",?\s+and\s+(?=(?:what|how|who|which|when|where|against what|by when)\b)|,\s+(?=against\b)",
        question,
        flags=re.I,
    )
    return [p.strip(" ?") for p in pieces if p.strip(" ?")]


def content_terms(text: str) -> list[str]:
    """Lower-case words and numbers of a question that can be matched in a passage."""
    words = re.findall(r"£?\d[\d,./%]*[a-z]?|[a-z][a-z'&-]+", text.lower())
    return [w.strip("'") for w in words if w not in QUESTION_WORDS and len(w) > 1]


GENERIC_TERMS = frozenset(
    """
    figure figures number numbers amount total beginning start end time date year years month months
    rate level cost costs happen happened supposed provide provided lead leads led due same one ones
    thing things meant
    """.split()  # noqa: SIM905 - a word list reads best as text
)
"""Words that do not name a subject: a follow-up made only of these leans on the previous question."""


def is_elliptical(question: str) -> bool:
    words = question.split()
    if _CONTINUES.match(question) and len(words) <= CONTINUATION_MAX_WORDS:
        return True
    if len(words) > ELLIPTICAL_MAX_WORDS:
        return False
    if _FOLLOW_UP.search(question):
        return True
    subject = [t for t in content_terms(question) if t not in GENERIC_TERMS and not t[0].isdigit()]
    names = [w for w in words[1:] if w[:1].isupper()]  # an acronym or a name is a subject of its own
    return len(subject) + len(names) <= 1


def rewrite_follow_up(question: str, previous: str | None, answered: str | None = None) -> str:
    """Read a short follow-up with the previous question's subject ("And in 2023?" after "What was
    the average void turnaround time in 2024?"). ``answered``: who or what the previous answer
    named ("Savills" for "Which firm inspects…?"); a pronoun of the follow-up stands for it ("What
    will they provide?" → "What will Savills provide?")."""
    if not previous or not is_elliptical(question):
        return question
    if answered:
        named = _PRONOUN.sub(lambda m: f"{answered}'s" if m.group(0).lower() == "their" else answered, question, 1)
        if named != question and not is_elliptical(named):
            return named
    return f"{previous.rstrip(' ?')}? {question}"


_PRONOUN = re.compile(r"\b(they|them|their|he|him|she|her)\b", re.I)
_ORGANISATION_NOUNS = (
    r"firm|company|organisation|organization|contractor|consultancy|consultants?|provider|agency|body|partner|team"
)
_WHICH_ORGANISATION = re.compile(rf"\bwhich (?:{_ORGANISATION_NOUNS})\b", re.I)
_WHICH_ONE = re.compile(
    rf"^\s*(who|which (?:{_ORGANISATION_NOUNS}|person|officer|councillor|member))\b",
    re.I,
)


def asks_which_organisation(question: str) -> bool:
    """ "Which firm …", "which contractor …": answered by a name that need not be a person's."""
    return bool(_WHICH_ORGANISATION.search(question))


_PROPER_NAME = re.compile(r"\b[A-Z][\w&'’-]+(?:\s+[A-Z][\w&'’-]+){0,3}")


def answered_name(previous: str, quoted: str, common_words: set[str]) -> str | None:
    """The name the answer to a "who" / "which firm" question gave: the first run of capitalised
    words in the quotes that the question does not hold and the papers never write in lower case."""
    if not _WHICH_ONE.match(previous):
        return None
    asked = {w.lower() for w in re.findall(r"[\w'’-]+", previous)}
    for m in _PROPER_NAME.finditer(quoted):
        run: list[str] = []
        for word in m.group(0).split():  # "Matthew Cole Director" → "Matthew Cole"
            if word.lower() in asked or word.lower() in common_words:
                if run:
                    break
                continue
            run.append(word)
        if run:
            return " ".join(run)
    return None


def meeting_reference(
    question: str, meeting_dates: list[str], minutes_dates: list[str] | None = None
) -> tuple[list[str] | None, str | None]:
    """The meeting dates a question means, from the meetings in the index.

    Returns (dates, problem): dates to restrict to (None: no restriction), or a problem when the
    question names a meeting the papers do not hold.
    """
    if not meeting_dates:
        return None, None
    if _LATEST.search(question):
        # "Last time" is the latest meeting that was held and minuted, not the next one on an agenda.
        return [max(minutes_dates or meeting_dates)], None
    full = [d.iso for d in find_dates(question)]
    # "the minutes of the 5 December meeting" are confirmed at a later meeting: not a meeting asked about.
    if full and re.search(r"\b(meeting|minutes|met|committee)\b", question, re.I) and not _MINUTES_OF.search(question):
        held = [d for d in full if d in meeting_dates]
        if held:
            return held, None
        return None, f"the papers hold no minutes or papers of a meeting on {', '.join(full)}"
    dates: list[str] = []
    months = [
        (m.group("month") or m.group("month2"), m.group("year"))
        for m in _MONTH_MEETING.finditer(question)
        if not _POINT_IN_MONTH.search(question[: m.start()])
    ]
    if not months and _MEETINGS.search(question):  # "both the January and the March meetings"
        months = [(m.group(1), None) for m in _MONTH_NAME.finditer(question)]
    for name, year in months:
        month = _MONTHS[name.lower()]
        dates += [
            d for d in meeting_dates if int(d[5:7]) == month and (not year or d.startswith(year)) and d not in dates
        ]
    return (sorted(dates), None) if dates else (None, None)


_POINT_IN_TIME = re.compile(
    r"\b(?P<edge>end|close|start|beginning) of (?P<month>" + "|".join(_MONTHS) + r")\s+(?P<year>(?:19|20)\d\d)\b",
    re.I,
)


def point_in_time(question: str) -> str | None:
    """The day a figure is asked at ("at the end of March 2024" → 2024-03-31), as ISO; None when
    the question names no such point."""
    m = _POINT_IN_TIME.search(question)
    if not m:
        return None
    year, month = int(m.group("year")), _MONTHS[m.group("month").lower()]
    day = calendar.monthrange(year, month)[1] if m.group("edge").lower() in ("end", "close") else 1
    return f"{year:04d}-{month:02d}-{day:02d}"
