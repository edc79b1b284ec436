"""How a question is read and what counts as answering it: pure functions, exact assertions."""

from __future__ import annotations

import pytest

from assistant.answer import Candidate, compose_answer, cue_score, gives_figure
from assistant.lists import overlap_length
from assistant.query import analyse, meeting_reference
from assistant.retrieval import Passage, Retrieval
from ingest.settings import Settings
from ingest.text import split_sentences

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


def test_how_often_is_answered_by_a_frequency_only() -> None:
    q = "How often does the board meet?"
    assert gives_figure("The board meets monthly.", q)
    assert gives_figure("Reports come to the committee quarterly from May.", q)
    assert gives_figure("It meets 6 times a year.", q)
    assert not gives_figure("The board is chaired by the Director.", q)
    # How long something lasts is not how often it happens.
    assert not gives_figure("The plan sets out the actions we will take over the next 12 months.", q)
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


def test_a_bracket_continues_the_sentence_but_an_enumerator_starts_one() -> None:
    text = "20% entered care – up 1%. (29 children) – above our target of 13%. (a) The first. Next one."
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "20% entered care – up 1%. (29 children) – above our target of 13%.",
        "(a) The first.",
        "Next one.",
    ]
    # An initial ends no sentence.
    seconded = "Proposed by Cllr. O. Williams, seconded by J. Davies and agreed. Noted."
    assert [seconded[s:e] for s, e in split_sentences(seconded)] == [seconded[:-7], "Noted."]


def _passage(chunk_id: str, text: str) -> Passage:
    return Passage(chunk_id, "doc", "Report", "report", 1, 1, "section 1", text, 0.0, None, "s1", 0)


def _candidates(sentences: list[tuple[str, float]], context: dict[int, str] | None = None) -> list[Candidate]:
    context = context or {}
    return [
        Candidate(f"c1:{i}", "c1", text, 1, i, dense, 0, context=context.get(i, ""))
        for i, (text, dense) in enumerate(sentences)
    ]


def _answer(question: str, candidates: list[Candidate]) -> str:
    passage = _passage("c1", " ".join(c.text for c in candidates))
    settings = Settings(answer_max_sentences=1)
    retrieval = Retrieval([passage], [])
    return compose_answer(question, analyse(question), retrieval, candidates, {"c1": passage}, settings).text


def test_a_sentence_that_refers_back_is_matched_with_the_sentence_before_it() -> None:
    board = "The Improvement Board will report into the corporate governance of the council."
    sentences = [
        ("The plan sets out the actions we will take over the next 12 months.", 0.50),
        (board, 0.50),
        ("It will meet monthly to provide oversight and challenge.", 0.45),
        ("Staff teams meet weekly.", 0.47),
    ]
    question = "How often does the Improvement Board meet?"
    assert _answer(question, _candidates(sentences, {2: board})) == f"“{board}” [1] “{sentences[2][0]}” [1]"
    # Without the sentence it refers back to, another meeting's frequency would be as good.
    assert _answer(question, _candidates(sentences)) == f"“{sentences[3][0]}” [1]"


def test_each_part_with_words_of_its_own_gets_its_own_sentence() -> None:
    sentences = [
        ("Damp and mould reports are inspected within 10 days of being reported.", 0.60),
        ("The case is kept open and checkups are carried out after six months.", 0.30),
        ("Damp and mould jobs took 15.5 days on average.", 0.50),
    ]
    question = "How quickly are damp and mould reports inspected, and when is there a follow-up check?"
    assert _answer(question, _candidates(sentences)) == f"“{sentences[0][0]}” [1] “{sentences[1][0]}” [1]"
    # A part whose words the first sentence already holds adds nothing.
    target = [("20% came in on police protection – above our target of 13%.", 0.6), ("Other text here.", 0.5)]
    question = "What share came in on police protection, against what target?"
    assert _answer(question, _candidates(target)) == f"“{target[0][0]}” [1]"


def test_a_figure_next_to_the_subject_is_not_taken_as_its_figure() -> None:
    sentences = [
        ("Efforts are underway to purchase a Life Story App for all looked after children.", 0.66),
        ("We have won a bid from the DfE of £650k to implement a Lifelong links offer.", 0.30),
    ]
    question = "How much will the Life Story App cost?"
    assert _answer(question, _candidates(sentences)).startswith("The papers do not answer this question.")
    priced = [sentences[0], ("The Life Story App will cost £12k a year.", 0.30)]
    assert _answer(question, _candidates(priced)) == f"“{priced[1][0]}” [1]"


def test_a_sentence_that_refers_back_is_quoted_with_the_sentence_it_refers_to() -> None:
    bid = "We have won a bid from the DfE of £650k to implement a Lifelong links offer."
    sentences = [
        ("Our therapy team supports life story work with a new training offer.", 0.45),
        (bid, 0.40),
        ("This will contribute to strengthened life story work.", 0.50),
    ]
    question = "Has the council won any outside funding to strengthen life story work?"
    assert _answer(question, _candidates(sentences, {2: bid})) == f"“{bid}” [1] “{sentences[2][0]}” [1]"


def test_retrieved_lists_the_quoted_passages_first_and_keeps_the_search_order() -> None:
    from assistant.answer import evidence_first

    searched = [_passage("c1", "Budget text."), _passage("c2", "Other text.")]
    outside = _passage("c9", "The board meets monthly.")
    question = "How often does the board meet?"
    candidates = [
        Candidate("c1:0", "c1", "Budget text about the board.", 1, 0, 0.40, 0),
        Candidate("c9:0", "c9", "The board meets monthly.", 1, 0, 0.70, 50),  # found by sentence search
    ]
    passages = {p.chunk_id: p for p in [*searched, outside]}
    answer = compose_answer(question, analyse(question), Retrieval(searched, []), candidates, passages, Settings())
    assert [p.chunk_id for p in answer.citations] == ["c9"]
    evidence_first(answer)
    assert [p.chunk_id for p in answer.retrieved] == ["c9", "c1", "c2"]
    assert [p.chunk_id for p in answer.searched] == ["c1", "c2"]


def test_a_follow_up_pronoun_stands_for_the_name_the_last_answer_gave() -> None:
    from assistant.query import answered_name, rewrite_follow_up

    common = {"council", "borough", "report", "author", "director", "public", "health", "the"}
    previous = "Which firm inspects the council's property blocks for fire risk?"
    quoted = "The Council employed Savills to inspect property blocks throughout the Borough."
    assert answered_name(previous, quoted, common) == "Savills"
    assert rewrite_follow_up("What will they provide?", previous, "Savills") == "What will Savills provide?"
    # Only the name, not the title beside it; and only after a question asking who or which one.
    author = "Report Author: Matthew Cole Director of Public Health"
    assert answered_name("Who wrote the report?", author, common) == "Matthew Cole"
    assert answered_name("What did the report say?", author, common) is None
    # Without a name, the follow-up is read with the previous question, as before.
    assert rewrite_follow_up("What will they provide?", previous, None) == f"{previous} What will they provide?"


def test_each_meeting_a_question_names_is_quoted() -> None:
    from assistant.query import content_terms

    question = "How does the total borrowing reported in January compare with what the March minutes say?"
    assert "compare" not in content_terms(question)  # an instruction, not a subject
    january = Passage("j1", "jan", "Minutes", "minutes", 1, 1, "item 1", "", 0.0, "2024-01-24", "j", 0)
    march = Passage("m1", "mar", "Minutes", "minutes", 1, 1, "item 1", "", 0.0, "2024-03-13", "m", 0)
    candidates = [
        Candidate("m1:0", "m1", "Most of the borrowing went into housing, just over £800 million.", 1, 0, 0.77, 0),
        Candidate("j1:0", "j1", "The borrowing total was £1.275b in September.", 1, 0, 0.40, 1),
    ]
    passages = {"j1": january, "m1": march}
    info = analyse(question)
    answer = compose_answer(question, info, Retrieval([march, january], []), candidates, passages, Settings())
    assert answer.text == f"“{candidates[0].text}” [1]"
    info.wants_several = info.meetings_named = True
    answer = compose_answer(question, info, Retrieval([march, january], []), candidates, passages, Settings())
    assert answer.text == f"“{candidates[1].text}” [1] “{candidates[0].text}” [2]"


def test_a_line_broken_off_after_a_semicolon_is_quoted_with_the_line_that_finishes_it() -> None:
    sentences = [
        ("Our Vision for the borough: ONE BOROUGH; ONE COMMUNITY;", 0.70),
        ("NO-ONE LEFT BEHIND", 0.20),
        ("Our Priorities", 0.30),
    ]
    question = "What is the council's vision for the borough?"
    assert _answer(question, _candidates(sentences)) == f"“{sentences[0][0]}” [1] “{sentences[1][0]}” [1]"
    finished = [("Our Vision for the borough is one community.", 0.70), *sentences[1:]]
    assert _answer(question, _candidates(finished)) == f"“{finished[0][0]}” [1]"


def test_which_firm_is_answered_by_a_name_that_is_not_a_person() -> None:
    question = "Which firm has the council brought in to inspect its blocks for fire safety?"
    info = analyse(question)
    common = {"the", "council", "borough", "property", "blocks", "inspect", "employed"}
    assert cue_score(
        info, "The Council employed Savills to inspect property blocks throughout the Borough.", question, common
    )
    assert not cue_score(info, "The Council inspected the property blocks throughout the Borough.", question, common)
    # For "who", a firm's name alone is not a person.
    who = "Who inspects the blocks?"
    assert not cue_score(analyse(who), "The Council employed Savills to inspect property blocks.", who, common)


def test_a_figure_asked_at_a_day_after_the_papers_is_not_answered_from_them() -> None:
    from assistant.query import point_in_time

    assert point_in_time("How many open jobs were there at the end of March 2024?") == "2024-03-31"
    assert point_in_time("And at the beginning of February 2024?") == "2024-02-01"
    assert point_in_time("How many open jobs were there in 2024?") is None
    march = Passage("m1", "mar", "Minutes", "minutes", 1, 1, "item 39", "", 0.0, "2024-03-13", "m", 0)
    said = "From the 7th March 2024, the number of open jobs was reduced to 2838."
    candidates = [Candidate("m1:0", "m1", said, 1, 0, 0.70, 0)]
    retrieval = Retrieval([march], [])

    def ask(question: str) -> str:
        return compose_answer(question, analyse(question), retrieval, candidates, {"m1": march}, Settings()).text

    assert ask("How many open jobs were there at the end of March 2024?").startswith(
        "The papers do not answer this question. (The passages quoted are from papers dated before 2024-03-31.)"
    )
    assert ask("How many open jobs were there at the start of March 2024?") == f"“{said}” [1]"


def test_stems_meet_across_doubled_consonants() -> None:
    from assistant.answer import stem

    assert stem("planning") == stem("plans") == "plan"
    assert stem("committed") == "commit"
    assert stem("assessing") == "assess"  # ss, ll and zz are the word's own
    assert stem("installing") == "install"


def test_a_figure_about_something_else_does_not_answer_a_how_many_question() -> None:
    kent = Passage(
        "k1", "kent", "Minutes", "minutes", 1, 1, "item 87", "", 0.0, "2025-01-30", "k", 0, "Kent County Council"
    )
    voting = "The Kent Youth County Council elections at the end of 2024 saw 22,866 young people voting."
    question = "How many children in care did Kent have at the end of December 2024?"
    retrieval = Retrieval([kent], [])

    def ask(sentence: str) -> str:
        candidates = [Candidate("k1:0", "k1", sentence, 1, 0, 0.60, 0)]
        return compose_answer(question, analyse(question), retrieval, candidates, {"k1": kent}, Settings()).text

    assert ask(voting).startswith(
        "The papers do not answer this question. (No passage gives that figure for what the question asks about.)"
    )
    # "Kent" names the council whose paper it is, not what is counted; "children in care" is.
    counted = "At the end of December 2024 Kent had 1,802 children in care."
    assert ask(counted) == f"“{counted}” [1]"


def test_the_year_of_an_asked_figure_is_in_its_sentence_or_heading() -> None:
    budget = Passage(
        "b1",
        "jan",
        "Minutes",
        "minutes",
        1,
        1,
        "item 34 Budget Strategy 2024/25",
        "Profits covered shortfalls from"
        " 2021 – 2023. The Council may not receive a £10.3m dividend from Be First for 2024/25.",
        0.0,
        None,
        "b",
        0,
    )
    said = "The Council may not receive a £10.3m dividend from Be First for 2024/25."
    candidates = [Candidate("b1:1", "b1", said, 1, 1, 0.70, 0)]
    retrieval = Retrieval([budget], [])

    def ask(question: str, year: str, scope: str) -> str:
        must = [(year, [year], scope)]
        info = analyse(question)
        return compose_answer(question, info, retrieval, candidates, {"b1": budget}, Settings(), must_mention=must).text

    # The passage mentions 2023, but not as the year of this figure.
    assert ask("How much did Be First pay in dividends in 2023?", "2023", "heading") == f"“{said}” [1]"
    assert ask("How much did Be First pay in dividends in 2023?", "2023", "figure").startswith(
        "The papers do not answer this question. (Nothing in them mentions 2023 with this.)"
    )
    assert ask("How much dividend is due from Be First for 2024/25?", "2024/25", "figure") == f"“{said}” [1]"


def test_the_councils_own_name_does_not_say_who_is_meant() -> None:
    council = Passage(
        "c1",
        "m",
        "Minutes",
        "minutes",
        1,
        1,
        "opening",
        "",
        0.0,
        "2019-03-13",
        "o",
        0,
        "Manordeilo & Salem Community Council",
    )
    held = "Manordeilo and Salem Community Council held their meeting at 7.30pm at the Reading Room, Cwmifor."
    question = "Who is the Clerk of Manordeilo and Salem Community Council?"
    candidates = [Candidate("c1:0", "c1", held, 1, 0, 0.70, 0)]
    retrieval = Retrieval([council], [])
    answer = compose_answer(question, analyse(question), retrieval, candidates, {"c1": council}, Settings())
    assert answer.text.startswith("The papers do not answer this question. (No passage gives that name.)")
    named = "Mrs Jane Davies is the Clerk of the Community Council."
    candidates = [Candidate("c1:0", "c1", named, 1, 0, 0.70, 0)]
    answer = compose_answer(question, analyse(question), retrieval, candidates, {"c1": council}, Settings())
    assert answer.text == f"“{named}” [1]"
