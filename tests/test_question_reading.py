"""How a question is read and what counts as answering it: pure functions, exact assertions."""

from __future__ import annotations

import pytest

from assistant.answer import cue_score, gives_figure
from assistant.lists import overlap_length
from assistant.query import analyse, meeting_reference

MEETINGS = ["2024-01-24", "2024-03-13", "2024-04-17"]


@pytest.mark.parametrize(
    ("question", "dates"),
    [
        ("What was resolved at the January meeting?", ["2024-01-24"]),
        ("What did the minutes of March say about repairs?", ["2024-03-13"]),
        ("How many children were on plans at the end of January 2024?", None),
        ("What was the caseload at the start of March?", None),
        ("What had been spent by April?", None),
    ],
)
def test_a_month_is_a_meeting_unless_it_dates_a_figure(question: str, dates: list[str] | None) -> None:
    assert meeting_reference(question, MEETINGS, MEETINGS) == (dates, None)


@pytest.mark.parametrize(
    ("question", "wants_list"),
    [
        ("What three themes did the peer review look at?", True),
        ("Which 4 priorities were agreed?", True),
        ("What recommendations did the peer team make?", True),
        ("Who provided the legal implications for the two reports on the April agenda?", False),
        ("What was the budget gap?", False),
    ],
)
def test_list_questions(question: str, wants_list: bool) -> None:
    assert analyse(question).wants_list is wants_list


def test_how_often_is_answered_by_a_frequency_or_a_number() -> None:
    q = "How often does the board meet?"
    assert gives_figure("The board meets monthly.", q)
    assert gives_figure("Reports come to the committee quarterly from May.", q)
    assert gives_figure("It meets 6 times a year.", q)
    assert not gives_figure("The board is chaired by the Director.", q)
    # A frequency word is no figure for a "how many" question.
    assert not gives_figure("The board meets monthly.", "How many members does the board have?")


def test_where_questions_prefer_a_sentence_naming_a_place() -> None:
    q = "Where did the peer team base itself during the visit?"
    info = analyse(q)
    assert info.wants_where
    assert cue_score(info, "We have spent 3 days onsite at Barking Town Hall during which we:", q) == 1
    assert cue_score(info, "The meeting was held in the Civic Centre.", q) == 1
    assert cue_score(info, "Feedback from the peer team took place on 29 February.", q) == 0
    assert not analyse("Who chaired the meeting?").wants_where


def test_overlap_between_consecutive_chunks() -> None:
    previous = "The group meets monthly. It has established five subgroups."
    assert overlap_length(previous, "It has established five subgroups.\nSocial Care Subgroup") == len(
        "It has established five subgroups."
    )
    # A shared word fragment is not an overlap: "groups" ends "subgroups" but starts no word here.
    assert overlap_length("five subgroups", "groups meet") == 0
    assert overlap_length("", "anything") == 0


@pytest.mark.parametrize(
    ("question", "wants_number"),
    [
        ("What vacancy level does the risk register quote?", True),
        ("What share of new children came in on police protection?", True),
        ("What is the average void turnaround time?", True),
        ("What did the committee resolve?", False),
        ("Did the committee agree how many reviews to hold?", False),
    ],
)
def test_figure_questions(question: str, wants_number: bool) -> None:
    assert analyse(question).wants_number is wants_number


def test_a_target_is_not_what_happened() -> None:
    from assistant.answer import _gives_outcome

    q = "How much did the Christmas campaign finally raise?"
    assert not _gives_outcome("4. Members were urged to get the campaign to the target of £25,000.", q)
    assert _gives_outcome("The campaign raised £18,400 against its target of £25,000.", q)
    assert _gives_outcome("By January £18,400 had been collected.", q)
