"""How an extractive answer reads: quotations from one passage cite it once, a lead-in ("…the
following:") introduces the sentences it announces as a list, and a citation of a minute item
that runs over pages names the item's pages. No model, no index: candidates, passages and an
index snapshot built by hand."""

from __future__ import annotations

from dataclasses import asdict

from assistant.answer import Answer, LeadIn, compose
from assistant.candidates import Candidate
from assistant.citations import source_line
from assistant.export import turn_markdown
from assistant.features import FEATURES
from assistant.question import read_question
from assistant.quoting import Quote, announces, render
from assistant.retrieval import Passage, Retrieval
from assistant.scorer import AnswerScorer
from assistant.snapshot import IndexSnapshot, StoredSentence
from ingest.store import Row

ITEM = "doc#item-37"
LOCATOR = "Minutes, 13 March 2024 — item 37 Minutes"
LEAD = "The minutes of the meeting of 24 January 2024 were confirmed as correct subject to changes to be made below:"
CHANGES = [
    "Page 3, item 34: the gap is £23.3m, not £23.5m.",
    "Page 4, item 35: Cllr Okafor was present.",
    "Page 5, item 36: the vote was 7 to 2.",
]
AFTER_ITEM = "Item 38 was deferred to the next meeting."


def _scorer() -> AnswerScorer:
    n = len(FEATURES)
    return AnswerScorer(list(FEATURES), [0.0] * n, [1.0] * n, [0.0] * n, 0.0, 0.5, keep_ratio=0.8)


def _row(chunk_id: str, ordinal: int, section: str, pages: tuple[int, int], text: str) -> Row:
    meta = {"doc_id": "doc", "doc_title": "Minutes", "doc_type": "minutes", "page_start": pages[0],
            "page_end": pages[1], "locator": LOCATOR, "section_id": section, "ordinal": ordinal}  # fmt: skip
    return Row(chunk_id, text, meta)


def _snapshot() -> IndexSnapshot:
    """Item 37 in two passages (the second repeats the last sentence of the first, as chunk overlap
    does), then item 38: c1 holds the lead-in and the first change, c2 the first change again and
    the other two."""
    c1 = ["The minutes of the meeting held on 5 December 2023 were confirmed as correct.", LEAD, CHANGES[0]]
    c2 = [CHANGES[0], CHANGES[1], CHANGES[2]]
    c3 = [AFTER_ITEM]
    chunks = {
        "c1": _row("c1", 4, ITEM, (6, 6), " ".join(c1)),
        "c2": _row("c2", 5, ITEM, (6, 7), " ".join(c2)),
        "c3": _row("c3", 6, "doc#item-38", (7, 7), " ".join(c3)),
    }
    sentences = {
        chunk: [StoredSentence(f"{chunk}/s{i}", chunk, t, 6, i) for i, t in enumerate(texts)]
        for chunk, texts in (("c1", c1), ("c2", c2), ("c3", c3))
    }
    return IndexSnapshot(chunks=chunks, sections={ITEM: ["c2", "c1"], "doc#item-38": ["c3"]}, sentences=sentences)


def _cand(sid: str, chunk: str, ordinal: int, text: str, score: float) -> Candidate:
    return Candidate(sid, chunk, text, 6, ordinal, 0.5, 0, score=score)


def _compose(cands: list[Candidate], snapshot: IndexSnapshot, lead_in: LeadIn):
    passages = {c.chunk_id: snapshot.passage(c.chunk_id) for c in cands}
    q = read_question("Were the minutes of 24 January confirmed?")
    return compose(q, Retrieval(list(passages.values()), []), cands, passages, _scorer(), 5, snapshot, lead_in)


def _run(chunk: str, n: int, first: int, *texts: str) -> list[Quote]:
    """Sentences standing one after another in passage ``chunk`` from sentence ``first``, cited [n]."""
    return [Quote(t, chunk, first + i, n, joins=i > 0) for i, t in enumerate(texts)]


# --- wording -------------------------------------------------------------------------------------


def test_a_lead_in_is_told_by_how_the_sentence_ends() -> None:
    assert announces("The Committee resolved to approve the following recommendations:")
    assert announces("5.3 Recommendations: ") and announces("It was RESOLVED:-")
    assert not announces("The Committee resolved: to approve the recommendations.")


def test_a_list_from_one_passage_is_introduced_plainly_and_cites_once() -> None:
    quotes = _run(
        "c1", 1, 0, "5.3 Recommendations:", "The Committee is asked to note the report.",
        "The Committee is asked to agree the plan.",
    )  # fmt: skip
    assert render(quotes) == (
        "5.3 Recommendations:\n- “The Committee is asked to note the report.”\n"
        "- “The Committee is asked to agree the plan.” [1]"
    )


def test_sentences_standing_together_are_one_quotation() -> None:
    quotes = (
        _run("c1", 1, 0, "The Board was set up in May.", "It meets monthly.")
        + _run("c1", 1, 4, "Its chair is Ms Okafor.")  # not next to the others: a quotation of its own
        + _run("c2", 2, 0, "The budget is £5,000.")
    )
    assert render(quotes) == (
        "“The Board was set up in May. It meets monthly.” “Its chair is Ms Okafor.” [1] “The budget is £5,000.” [2]"
    )


def test_sentences_with_words_left_out_between_are_quoted_apart() -> None:
    """A heading between two sentences is not stored as one: the two are next to each other as
    stored, but one quotation holding both would put words together the papers do not."""
    passage = Passage("c1", "doc", "Minutes", "minutes", 6, 6, LOCATOR, "The plan was noted. Funding It was agreed.",
                      0.5, None, ITEM, 4)  # fmt: skip
    cands = [_cand("c1/s0", "c1", 0, "The plan was noted.", 0.9), _cand("c1/s1", "c1", 1, "It was agreed.", 0.9)]
    q = read_question("Was the plan agreed?")
    answer = compose(q, Retrieval([passage], []), cands, {"c1": passage}, _scorer(), 5)
    assert answer.text == "“The plan was noted.” “It was agreed.” [1]"


def test_a_list_stands_apart_from_the_quotations_around_it() -> None:
    quotes = (
        _run("c0", 1, 3, "The report was noted.")
        + _run("c1", 2, 0, "The members asked a question.", "RESOLVED that:", "(i) the plan be agreed.")
        + _run("c1", 2, 5, "Officers will report back in June.")
        + _run("c3", 3, 0, "The meeting closed at 9 pm.")
    )
    assert render(quotes) == (
        "“The report was noted.” [1] “The members asked a question.” [2]\n\n"
        "RESOLVED that:\n- “(i) the plan be agreed.” [2]\n\n"
        "“Officers will report back in June.” [2] “The meeting closed at 9 pm.” [3]"
    )


def test_a_lead_in_with_nothing_after_it_stays_a_quotation() -> None:
    assert render([Quote("The Committee resolved to approve the following:", "c1", 3, 1)]) == (
        "“The Committee resolved to approve the following:” [1]"
    )


def test_a_list_running_into_the_next_passage_carries_on() -> None:
    quotes = [
        Quote("RESOLVED that:", "c1", 2, 1),
        Quote("(i) the plan be agreed;", "c1", 3, 1),
        Quote("(ii) the budget be set.", "c2", 1, 2, continues=True),
    ]
    assert render(quotes) == "RESOLVED that:\n- “(i) the plan be agreed;” [1]\n- “(ii) the budget be set.” [2]"


# --- a lead-in brings what it announces ----------------------------------------------------------


def test_a_decision_subject_to_changes_shows_the_changes() -> None:
    snapshot = _snapshot()
    answer = _compose([_cand("c1/s1", "c1", 1, LEAD, 0.9)], snapshot, LeadIn(sentences=4, chars=1000))
    assert answer.text == (
        f"{LEAD}\n- “{CHANGES[0]}” [1]\n- “{CHANGES[1]}”\n- “{CHANGES[2]}” [2]"
    )  # the repeated opening of c2 is not quoted twice, and item 38 is not part of it
    assert [p.chunk_id for p in answer.citations] == ["c1", "c2"]
    assert answer.quotes == [(LEAD, 1), (CHANGES[0], 1), (CHANGES[1], 2), (CHANGES[2], 2)]
    assert answer.quoted_ids == ["c1/s1", "c1/s2", "c2/s1", "c2/s2"]
    assert answer.contract()["citations"][1]["page"] == 6 and answer.contract()["citations"][1]["page_end"] == 7


def test_what_a_lead_in_brings_is_capped() -> None:
    snapshot = _snapshot()
    by_count = _compose([_cand("c1/s1", "c1", 1, LEAD, 0.9)], snapshot, LeadIn(sentences=2, chars=1000))
    assert by_count.text == f"{LEAD}\n- “{CHANGES[0]}” [1]\n- “{CHANGES[1]}” [2]"
    # Past the first sentence, none that would take the added text over the characters allowed.
    by_chars = _compose([_cand("c1/s1", "c1", 1, LEAD, 0.9)], snapshot, LeadIn(sentences=4, chars=60))
    assert by_chars.text == f"{LEAD}\n- “{CHANGES[0]}” [1]"
    assert _compose([_cand("c1/s1", "c1", 1, LEAD, 0.9)], snapshot, LeadIn(sentences=0, chars=60)).text == (
        f"“{LEAD}” [1]"
    )


def test_a_lead_in_does_not_bring_a_sentence_already_chosen_again() -> None:
    snapshot = _snapshot()
    chosen = [_cand("c1/s1", "c1", 1, LEAD, 0.9), _cand("c2/s2", "c2", 2, CHANGES[2], 0.8)]
    answer = _compose(chosen, snapshot, LeadIn(sentences=4, chars=1000))
    assert answer.text == f"{LEAD}\n- “{CHANGES[0]}” [1]\n- “{CHANGES[1]}”\n- “{CHANGES[2]}” [2]"
    assert [q for q, _ in answer.quotes].count(CHANGES[2]) == 1


def test_the_following_sentences_stop_at_the_end_of_the_section() -> None:
    snapshot = _snapshot()
    assert [s.sentence_id for s in snapshot.following("c2", 1, 5)] == ["c2/s2"]
    assert [s.sentence_id for s in snapshot.following("c1", 0, 5)] == ["c1/s1", "c1/s2", "c2/s1", "c2/s2"]
    assert snapshot.following("gone", 0, 5) == []


# --- a fragment brings the sentence after it ---------------------------------------------------

MOTION = ["MOTION BY: Mashack", "SECOND BY: Brown", "The agenda was approved 5-0.", "Item 2 was heard."]


def _motion_snapshot() -> IndexSnapshot:
    chunks = {"m1": _row("m1", 1, "doc#item-1", (2, 2), " ".join(MOTION))}
    sentences = {"m1": [StoredSentence(f"m1/s{i}", "m1", t, 2, i) for i, t in enumerate(MOTION)]}
    return IndexSnapshot(chunks=chunks, sections={"doc#item-1": ["m1"]}, sentences=sentences)


def test_a_fragment_is_quoted_with_the_sentence_after_it() -> None:
    snapshot = _motion_snapshot()
    answer = _compose([_cand("m1/s0", "m1", 0, MOTION[0], 0.9)], snapshot, LeadIn(4, 300, fragment_words=4))
    assert answer.text == f"“{MOTION[0]} {MOTION[1]}” [1]"
    assert answer.quoted_ids == ["m1/s0", "m1/s1"]
    # One step only: the brought sentence, a fragment too, brings nothing more.
    assert "approved" not in answer.text


def test_a_sentence_longer_than_a_fragment_or_with_fragments_off_stands_alone() -> None:
    snapshot = _motion_snapshot()
    long = _compose([_cand("m1/s2", "m1", 2, MOTION[2], 0.9)], snapshot, LeadIn(4, 300, fragment_words=4))
    assert long.text == f"“{MOTION[2]}” [1]"
    off = _compose([_cand("m1/s0", "m1", 0, MOTION[0], 0.9)], snapshot, LeadIn(4, 300, fragment_words=0))
    assert off.text == f"“{MOTION[0]}” [1]"


def test_a_fragment_ending_its_passage_stays_alone_and_a_chosen_next_is_not_quoted_twice() -> None:
    snapshot = _motion_snapshot()
    last = _compose([_cand("m1/s3", "m1", 3, MOTION[3], 0.9)], snapshot, LeadIn(4, 300, fragment_words=4))
    assert last.text == f"“{MOTION[3]}” [1]"
    both = [_cand("m1/s0", "m1", 0, MOTION[0], 0.9), _cand("m1/s1", "m1", 1, MOTION[1], 0.8)]
    answer = _compose(both, snapshot, LeadIn(4, 300, fragment_words=4))
    assert answer.quoted_ids == ["m1/s0", "m1/s1", "m1/s2"]  # the second fragment brings the third
    assert [q for q, _ in answer.quotes].count(MOTION[1]) == 1


# --- pages ---------------------------------------------------------------------------------------


def test_a_citation_names_the_pages_of_the_item_it_is_part_of() -> None:
    snapshot = _snapshot()
    assert snapshot.section_pages(ITEM) == (6, 7) and snapshot.section_pages("doc#none") is None
    one_page, whole, gone = snapshot.passage("c1"), snapshot.passage("c2"), snapshot.passage("c3")
    gone.section_id = "doc#removed"
    assert source_line(1, one_page) == f"[1] {LOCATOR} (page 6)"  # section pages not looked up
    snapshot.add_section_pages([one_page, whole, gone])
    assert source_line(1, one_page) == f"[1] {LOCATOR} (pages 6–7; cited text on page 6)"
    assert source_line(2, whole) == f"[2] {LOCATOR} (pages 6–7)"  # the passage is the item's whole span
    assert source_line(3, gone) == f"[3] {LOCATOR} (page 7)" and gone.section_page == 0
    # The contract's page is still where the cited passage starts.
    assert one_page.contract(with_score=False)["page"] == 6 and "page_end" not in one_page.contract()


def test_a_passage_with_its_section_pages_survives_a_saved_conversation() -> None:
    p = Passage("c1", "doc", "Minutes", "minutes", 6, 6, LOCATOR, "text", 0.5, None, ITEM, 4,
                section_page=6, section_page_end=7)  # fmt: skip
    assert Passage(**asdict(p)) == p


def test_an_exported_answer_keeps_its_list_one_item_a_line() -> None:
    cited = _snapshot().passage("c1")
    answer = Answer("q", "RESOLVED that:\n- “(i) the plan *be* agreed;”\n- “(ii) the budget be set.” [1]", False,
                    [cited], [cited])  # fmt: skip
    assert "RESOLVED that:\n- “(i) the plan \\*be\\* agreed;”\n- “(ii) the budget be set.” [1]\n" in turn_markdown(
        1, "What was resolved?", answer
    )


# --- the latest position -------------------------------------------------------------------------


def _dated_passage(chunk_id: str, doc: str, meeting: str, text: str) -> Passage:
    meta = {"doc_id": doc, "doc_title": f"Minutes {meeting}", "doc_type": "minutes", "page_start": 2, "page_end": 2,
            "locator": f"Minutes, {meeting}", "section_id": f"{doc}#item-1", "ordinal": 0,
            "meeting_date": meeting}  # fmt: skip
    return Passage.from_row(Row(chunk_id, text, meta), 0.5)


def test_the_latest_position_opens_with_the_newest_meeting_and_names_each() -> None:
    older = "The hub review was deferred to March."
    newer = "Cabinet agreed to keep both family hubs open."
    passages = {
        "a": _dated_passage("a", "jan", "2025-01-30", older),
        "b": _dated_passage("b", "mar", "2025-03-13", newer),
    }
    cands = [
        Candidate("a/s0", "a", older, 2, 0, 0.5, 0, score=0.9),
        Candidate("b/s0", "b", newer, 2, 0, 0.5, 1, score=0.85),
    ]
    retrieval = Retrieval(list(passages.values()), [])
    latest = compose(read_question("What's the latest on the family hubs?"), retrieval, cands, passages, _scorer(), 5)
    assert latest.text == f"13 March 2025: “{newer}” [1] 30 January 2025: “{older}” [2]"
    assert [p.chunk_id for p in latest.citations] == ["b", "a"]
    plain = compose(read_question("What happened to the family hubs?"), retrieval, cands, passages, _scorer(), 5)
    assert plain.text == f"“{older}” [1] “{newer}” [2]"  # reading order of the documents, no dates named
