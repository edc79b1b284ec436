"""Property: any question and any filter values sent to the running app's HTTP API get, within a per-call
budget, either an answer in the contract's shape or one of the app's own one-line messages, never a
generic error, a hang or a server that stops answering others."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CALL_BUDGET_S = 20.0
"""Generous: an answer takes well under a second here; the point is that none runs away."""
MESSAGES = re.compile(
    r"The question is empty: type a question about the papers\."
    r"|The question is [\d,]+ characters long; the most is 1,000\. Ask it in fewer words, one question at a time\."
    r"|Meetings (from|to): “.*” is not a date; write it as YYYY-MM-DD, e\.g\. 2024-03-13"
    r"|Meetings from \(\d{4}-\d\d-\d\d\) is after Meetings to \(\d{4}-\d\d-\d\d\)",
    re.DOTALL,
)
"""Every refusal the `ask` API may give for a question and filters (the app's exact wording)."""

filter_text = st.one_of(st.just(""), st.text(max_size=40))
dates = st.one_of(st.just(""), st.dates().map(lambda d: d.isoformat()), st.text(max_size=20))
questions = st.one_of(
    st.text(max_size=1200),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=990, max_size=1010),
    st.sampled_from(["What budget gap was the Council facing for 2024/25?", " \t\n", "A" * 1000]),
)


@pytest.fixture(scope="module")
def client(demo_app_url: str):
    from gradio_client import Client

    return Client(demo_app_url, verbose=False)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    question=questions,
    doc_id=filter_text,
    doc_type=st.one_of(filter_text, st.sampled_from(["minutes", "report", "agenda"])),
    organisation=filter_text,
    date_from=dates,
    date_to=dates,
)
def test_any_question_and_filters_get_an_answer_or_a_message_within_budget(
    client,
    demo_app_url: str,
    question: str,
    doc_id: str,
    doc_type: str,
    organisation: str,
    date_from: str,
    date_to: str,
) -> None:
    from gradio_client.exceptions import AppError

    started = time.monotonic()
    try:
        result = client.predict(question, doc_id, doc_type, organisation, date_from, date_to, api_name="/ask_filtered")
    except AppError as exc:
        assert MESSAGES.fullmatch(str(exc)), str(exc)
    else:
        assert {"answer", "citations", "retrieved"} <= set(result), sorted(result)
        assert isinstance(result["answer"], str) and result["answer"]
    elapsed = time.monotonic() - started
    assert elapsed < CALL_BUDGET_S, (elapsed, question[:80])
    # The server still answers others at once.
    assert httpx.get(f"{demo_app_url}config", timeout=5).status_code == 200
