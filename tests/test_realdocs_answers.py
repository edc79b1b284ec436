"""Answers over other councils' minutes (the real PDFs in tests/fixtures/realdocs), with the real
model: decisions come from the minute item about the question's subject, and a question the
minutes do not answer is declined."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ingest.settings import Settings

REALDOCS = Path(__file__).parent / "fixtures" / "realdocs"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory):
    from assistant.service import Assistant

    settings = Settings.from_env(
        env={},
        corpus_dir=REALDOCS,
        index_dir=tmp_path_factory.mktemp("realdocs") / "index",
        upload_dir=tmp_path_factory.mktemp("realdocs-uploads"),
        collection_prefix="realdocs",
    )
    started = time.perf_counter()
    assistant = Assistant(settings)
    report = assistant.ensure_index()
    assert report is not None and not report.failed, report
    print(f"\n[realdocs index built in {time.perf_counter() - started:.1f} s: {report.summary()}]")
    return assistant


def test_decision_recorded_in_prose_under_its_item(assistant) -> None:
    answer = assistant.ask(
        "What did Manordeilo and Salem Community Council decide about the 26 bungalows proposed opposite "
        "Cwmifor Village Hall?"
    )
    assert answer.text.startswith("Manordeilo & Salem Community Council, 13 March 2019, minute 10, recorded:")
    assert "“It was agreed to object to this development on the following grounds:” [1]" in answer.text
    assert answer.citations[0].locator == "Minutes, 13 March 2019 — item 10 PLANNING"


def test_no_decision_on_the_subject_is_declined(assistant) -> None:
    # The minutes note a stipends report was received; nothing about a stipend was approved.
    answer = assistant.ask("What stipend did the East Palo Alto Planning Commission approve for its commissioners?")
    assert answer.abstained and answer.citations == []
    assert "record no decision about that" in answer.text
    assert answer.related


def test_who_was_elected_needs_a_sentence_saying_so(assistant) -> None:
    # The election was postponed: no one was elected, though names of movers are nearby.
    answer = assistant.ask("Who was elected Chair of the East Palo Alto Planning Commission in January 2020?")
    assert answer.abstained and answer.citations == []
    assert "(No passage names who was elected.)" in answer.text


def test_resolution_answered_verbatim_with_its_minute(assistant) -> None:
    answer = assistant.ask("What did the Kent Cabinet resolve about the budget monitoring report?")
    assert not answer.abstained
    assert "minute" in answer.text and "recorded:" in answer.text
    assert all(c.doc_id.startswith("uk-kent") for c in answer.citations)


def test_who_chaired_is_read_from_the_attendance_list(assistant) -> None:
    answer = assistant.ask("Who chaired the Corporate Parenting Panel in December 2024?")
    assert answer.text.startswith("“PRESENT: Shellina Prendergast (Chair), Paul Bartlett (Vice-Chair),")
    assert answer.citations[0].locator == "Minutes, 10 December 2024 — attendance and opening"


def test_a_target_does_not_answer_what_was_raised(assistant) -> None:
    answer = assistant.ask("How much did the Corporate Parent Christmas Campaign finally raise?")
    assert answer.abstained and answer.citations == []
    assert "(The passages give only a target, not what happened.)" in answer.text
    # Asked for the target, the same passage answers.
    target = assistant.ask("What's the target for the Corporate Parent Christmas Campaign?")
    assert "target of £25,000" in target.text


def test_the_figure_of_a_decision_quotes_the_decisions_giving_it_not_the_whole_list(assistant) -> None:
    # Minute 6 agreed to renew the membership at a cost; minute 11 agreed nine payments, one of them this.
    answer = assistant.ask("How much did the community council agree to pay to renew its One Voice Wales membership?")
    assert answer.text == (
        "Manordeilo & Salem Community Council, 13 March 2019, minute 6, recorded: “It was proposed by Cllr. O."
        " Williams, seconded by Cllr. J. Davies and unanimously agreed to renew membership at a cost of £236.00.” [1]"
        " Manordeilo & Salem Community Council, 13 March 2019, minute 11, recorded: “iv) One Voice Wales"
        " Membership 2019-2020, Chq No 1305           236.00” [2]"
    )
    assert [c.locator for c in answer.citations] == [
        "Minutes, 13 March 2019 — item 6 CORRESPONDENCE",
        "Minutes, 13 March 2019 — item 11 ACCOUNTS FOR PAYMENT",
    ]
    # A payment that only shares a word with the subject ("Wales Air Ambulance") is left out.
    assert "Air Ambulance" not in answer.text
