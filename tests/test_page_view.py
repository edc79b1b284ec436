"""The page view's controls: previous and next page in the panel they were chosen in, and the link to
the PDF at the page (the route itself is checked with the login in tests/test_routes.py)."""

from __future__ import annotations

from typing import Any

import pytest
from fakes import HashEmbedder
from minutes import CABINET, PLANNING
from pdf_factory import make_text_pdf

import app
from assistant.service import Assistant
from ingest.pipeline import Ingestor
from ingest.settings import Settings


@pytest.fixture
def demo(settings: Settings, ingestor: Ingestor) -> Any:
    make_text_pdf(settings.corpus_dir / "cabinet & co.pdf", [CABINET, PLANNING, "3. Any other business"])
    assert ingestor.sync_folder(settings.corpus_dir).failed == []
    return app.build_app(Assistant(settings, embedder=HashEmbedder()))


def turn_page(demo: Any) -> Any:
    return next(f.fn for f in demo.fns.values() if getattr(f.fn, "__name__", "") == "turn_page")


def test_next_and_previous_page_in_the_panel_they_were_chosen_in(demo: Any) -> None:
    ask, decisions = turn_page(demo)(
        "ask/cabinet%20%26%20co.pdf/2|1700000000",
    )
    assert decisions == {"__type__": "update"}
    assert "<figcaption>Page 2 of cabinet &amp; co.pdf.</figcaption>" in ask
    assert '<div class="page-tools" role="group" aria-label="Page 2 of 3">' in ask
    assert 'href="#goto-ask/cabinet%20%26%20co.pdf/1">Previous page' in ask
    assert 'href="#goto-ask/cabinet%20%26%20co.pdf/3">Next page' in ask
    assert 'href="pdf/cabinet%20%26%20co.pdf#page=2"' in ask
    ask, decisions = turn_page(demo)("decisions/cabinet%20%26%20co.pdf/3|1")
    assert ask == {"__type__": "update"}
    assert '<span class="turn-page" aria-disabled="true">Next page</span>' in decisions
    assert 'href="#goto-decisions/cabinet%20%26%20co.pdf/2">Previous page' in decisions


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("ask/cabinet%20%26%20co.pdf/9|1", "The page cannot be shown: cabinet &amp; co.pdf: has no page 9 (it has 3)."),
        ("ask/..%2Fsecret.pdf/1|1", "The page cannot be shown: &#x27;../secret.pdf&#x27; is not a file name."),
    ],
)
def test_a_page_that_cannot_be_shown_says_why(demo: Any, value: str, shown: str) -> None:
    ask, _ = turn_page(demo)(value)
    assert ask == f'<p class="page-caption">{shown}</p>'


def test_a_made_up_value_changes_nothing(demo: Any) -> None:
    assert turn_page(demo)("elsewhere/x.pdf/1|1") == ({"__type__": "update"}, {"__type__": "update"})
