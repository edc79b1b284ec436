"""The app as a person uses it, in headless Chromium (Playwright): ask, click a citation, check
the highlighted passage and the page; find a decision; add a PDF and a broken file; download
the conversation; keyboard use, focus outline, axe-core's WCAG 2.2 AA rules and 200 % zoom.

The app is started in this process by ``app.serve`` on a free loopback port, over a fresh
index of a copy of the bundled pack (built with the real model), and closed at the end.
Screenshots of every step go to ``test-artifacts/browser/`` (git-ignored).

Chromium is Debian's (``/usr/bin/chromium``; ``.ci/run`` installs it); ``playwright install``
is never run, since it downloads a browser build.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from conftest import CORPUS_PDF, REALDOCS
from playwright.sync_api import expect

from evals.load import free_port
from ingest.settings import Settings

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
UPLOAD = REALDOCS / "uk_kent-cc_corporate-parenting-panel_minutes_2024-12-10.pdf"
ANSWER_TIMEOUT_MS = 60_000
INGEST_TIMEOUT_MS = 120_000
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PAGE_WIDTH_PX = 893
"""An A4 page rendered at 1.5 pixels per point (assistant/page_images.py)."""


@pytest.fixture(scope="module")
def running_app(demo_assistant, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings]]:
    """The app as `scrutineer serve` runs it, on a copy of the test run's demo index (built once per
    run), so the uploads this test makes touch no other test's index."""
    import app

    base = tmp_path_factory.mktemp("browser")
    shutil.copytree(demo_assistant.settings.index_dir, base / "index")
    settings = dataclasses.replace(demo_assistant.settings, index_dir=base / "index", upload_dir=base / "uploads")
    port = free_port()
    started = time.perf_counter()
    demo = app.serve(settings, host="127.0.0.1", port=port, prevent_thread_lock=True)
    print(f"\n[app on a copy of the demo index up in {time.perf_counter() - started:.1f} s]")
    # Start-up (repairs, uploads, the model loaded) runs in the background: the steps below expect it over.
    assert demo.index_build.wait(300) and demo.index_build.state().error is None
    try:
        yield f"http://127.0.0.1:{port}/", settings
    finally:
        demo.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium), as .ci/run does")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Visit:
    """One browser page on the app, recording every request that leaves the machine."""

    def __init__(self, browser, url: str, **context_args) -> None:
        self.context = browser.new_context(accept_downloads=True, **context_args)
        self.page = self.context.new_page()
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", self._check)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.goto(url)
        self.page.get_by_label("Your question").wait_for()

    def _check(self, request) -> None:
        url = urlparse(request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.hostname not in ("127.0.0.1", "localhost"):
            self.outside.append(request.url)

    def shot(self, name: str, full_page: bool = True) -> None:
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)

    def ask(self, question: str, text: str | re.Pattern[str]) -> None:
        """Ask, and wait for the answer holding ``text``."""
        page = self.page
        bubbles = page.locator("#conversation .bot-row").count()
        page.get_by_label("Your question").fill(question)
        page.get_by_role("button", name="Ask", exact=True).click()
        # Retried until the answer is in (a pending bubble may show first).
        expect(page.locator("#conversation .bot-row").nth(bubbles)).to_contain_text(text, timeout=ANSWER_TIMEOUT_MS)

    def axe_violations(self) -> list[str]:
        from axe_playwright_python.sync_playwright import Axe

        results = Axe().run(self.page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
        return [
            f"{v['id']}: {v['help']} — {', '.join(str(n['target']) for n in v['nodes'])}"
            for v in results.response["violations"]
        ]

    def image_width(self, selector: str) -> int:
        img = self.page.locator(f"{selector} img")
        img.wait_for(timeout=20_000)
        self.page.wait_for_function(
            "sel => { const i = document.querySelector(sel); return i && i.complete && i.naturalWidth > 0; }",
            arg=f"{selector} img",
        )
        return int(img.evaluate("i => i.naturalWidth"))

    def close(self) -> None:
        self.context.close()
        assert self.outside == [], f"the page sent requests off this machine: {self.outside}"
        assert self.errors == [], f"script errors in the page: {self.errors}"


def test_first_start_shows_the_ask_tab(running_app: tuple[str, Settings], browser) -> None:
    url, _ = running_app
    visit = Visit(browser, url, viewport={"width": 1400, "height": 1000})
    page = visit.page
    visit.shot("01-first-start")
    assert page.get_by_role("tab", name="Ask").get_attribute("aria-selected") == "true"
    assert page.get_by_role("tab", name="Decisions").is_visible()
    assert page.get_by_role("tab", name="Documents").is_visible()
    assert page.get_by_role("button", name="What budget gap was the Council facing for 2024/25?").is_visible()
    assert "Select a citation such as [1] to see its page." in page.locator("#sources").inner_text()
    assert page.get_by_role("button", name="Download conversation").is_disabled()
    assert visit.axe_violations() == []
    visit.close()


def test_ask_click_a_citation_see_the_passage_and_page(running_app: tuple[str, Settings], browser) -> None:
    url, _ = running_app
    visit = Visit(browser, url, viewport={"width": 1400, "height": 1000})
    page = visit.page
    visit.ask("What budget gap was the Council facing for 2024/25?", "£23.335m")
    visit.shot("02-answer")
    # Before any click the panel lists the sources, none selected, and no page is shown.
    assert page.locator("#sources .source-card").count() >= 1
    assert page.locator("#sources .source-card.selected").count() == 0
    assert page.locator("#page-view img").count() == 0

    page.locator("#conversation .bot-row a.cite", has_text="[1]").first.click()
    selected = page.locator("#sources .source-card.selected")
    selected.wait_for(timeout=20_000)
    assert selected.get_attribute("id") == "source-card-1"
    assert "The Council was facing an expected budget gap of £23.335m for 2024/25." in (
        selected.locator("mark").all_inner_texts()
    )
    assert visit.image_width("#page-view") == PAGE_WIDTH_PX
    caption = page.locator("#page-view figcaption").inner_text()
    assert caption.startswith(f"Page 3 of {CORPUS_PDF.name}: [1] Minutes, 24 January 2024 — item 34")
    assert caption.endswith("The quoted words are outlined on the page.")
    visit.shot("03-citation-selected")
    assert visit.axe_violations() == []

    # A question and its follow-up in the same session; the follow-up's citation is chosen with
    # the keyboard only, and the panel switches to that answer's passage and page.
    visit.ask("What was the average void turnaround time in 2024?", "32.8 days")
    visit.ask("And in 2023?", "61.5 days")
    # The citation of the passage that gives the 2023 figure (the answer may quote more than one passage).
    card = page.locator("#sources .source-card", has_text="61.5 days").first
    number = (card.get_attribute("id") or "").removeprefix("source-card-")
    page.locator("#conversation .bot-row").nth(2).locator("a.cite", has_text=f"[{number}]").first.focus()
    page.keyboard.press("Enter")
    page.locator("#sources .source-card.selected mark", has_text="61.5 days").wait_for(timeout=20_000)
    page.locator("#page-view figcaption", has_text="Page 9 of").wait_for(timeout=20_000)
    visit.shot("04-follow-up-by-keyboard")

    with page.expect_download() as info:
        page.get_by_role("button", name="Download conversation").click()
    exported = Path(info.value.path()).read_text(encoding="utf-8")
    assert "## 1. What budget gap was the Council facing for 2024/25?" in exported
    assert "## 3. And in 2023?" in exported
    # Sentences quoted together from one passage cite it once, at the end of the quotation.
    assert "£23.335m for 2024/25." in exported and "” [1]" in exported
    # Item 34 runs over pages 3–5; the passage cited is on page 3.
    assert (
        "**\\[1\\] Minutes, 24 January 2024 — item 34 Budget Strategy 2024/25 to 2026/27"
        " (pages 3–5; cited text on page 3)**"
    ) in exported
    visit.close()


def test_keyboard_reaches_the_controls_with_a_visible_focus_outline(running_app: tuple[str, Settings], browser) -> None:
    url, _ = running_app
    visit = Visit(browser, url, viewport={"width": 1400, "height": 1000})
    page = visit.page
    page.get_by_label("Your question").focus()
    page.keyboard.type("What does TCLPM stand for?")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => { const e = document.activeElement; const s = getComputedStyle(e);"
        " return [e.tagName, e.textContent.trim(), s.outlineStyle, s.outlineWidth]; }"
    )
    assert focused == ["BUTTON", "Ask", "solid", "3px"]
    visit.shot("05-focus-outline")
    page.keyboard.press("Enter")
    answer = page.locator("#conversation .bot-row").first
    expect(answer).to_contain_text("Threshold of Care Legal Planning Meeting", timeout=ANSWER_TIMEOUT_MS)
    # The tabs are reached and switched with the keyboard too (Tab moves between them in Gradio).
    page.get_by_role("tab", name="Ask").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.get_by_label("Search the decisions").wait_for()
    assert page.get_by_role("tab", name="Decisions").get_attribute("aria-selected") == "true"
    visit.close()


def test_filters_restrict_the_papers_searched(running_app: tuple[str, Settings], browser) -> None:
    url, _ = running_app
    visit = Visit(browser, url, viewport={"width": 1400, "height": 1000})
    page = visit.page
    page.get_by_text("Filters: search only some papers").click()
    page.get_by_label("Meetings from").fill("13/03/2024")
    page.get_by_label("Your question").fill("What budget gap was the Council facing for 2024/25?")
    page.get_by_role("button", name="Ask", exact=True).click()
    error = page.locator("#ask-status .status-error")
    error.wait_for()
    assert error.inner_text() == "Meetings from: “13/03/2024” is not a date; write it as YYYY-MM-DD, e.g. 2024-03-13"
    assert page.locator("#conversation .bot-row").count() == 0

    page.get_by_label("Meetings from").fill("2024-03-01")
    page.get_by_label("Document types").click()
    page.keyboard.type("minutes")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    # The answer is in the January minutes, which the filter leaves out: whatever is said (a decline
    # or another passage), every source shown is from the minutes of 13 March, the only ones left.
    visit.ask("What budget gap was the Council facing for 2024/25?", re.compile(r"\[1\]|do not answer"))
    assert page.locator("#ask-status").inner_text() == "Searched only: types minutes; meetings 2024-03-01 to …."
    shown = page.locator("#sources .source-card strong").all_inner_texts()
    assert shown and all(t.startswith("Minutes, 13 March 2024 — item ") for t in shown), shown
    assert "£23.335m" not in page.locator("#conversation .bot-row").last.inner_text()
    visit.shot("06-filtered-not-answered")
    assert visit.axe_violations() == []
    visit.close()


def test_decisions_tab_finds_a_resolution_and_opens_its_page(running_app: tuple[str, Settings], browser) -> None:
    url, _ = running_app
    visit = Visit(browser, url, viewport={"width": 1400, "height": 1000})
    page = visit.page
    page.get_by_role("tab", name="Decisions").click()
    register = page.locator("#register")
    register.locator("section.meeting").first.wait_for()
    assert register.locator("h3").all_inner_texts() == [
        "Overview and Scrutiny Committee, 17 April 2024",
        "Overview and Scrutiny Committee, 13 March 2024",
        "Overview and Scrutiny Committee, 24 January 2024",
    ]
    visit.shot("07-decisions")
    page.get_by_label("Search the decisions").fill("independent review")
    page.wait_for_function("() => document.querySelectorAll('#register li.resolution').length === 1")
    row = register.locator("li.resolution")
    assert row.locator("strong").inner_text() == "Minute 39"
    assert row.locator("blockquote").inner_text().startswith("2. An independent review to be undertaken on ")
    row.get_by_role("link").click()
    register.locator("li.resolution.selected").wait_for()
    assert visit.image_width("#decision-page-view") == PAGE_WIDTH_PX
    assert page.locator("#decision-page-view figcaption").inner_text() == (
        f"Page 10 of {CORPUS_PDF.name}: Overview and Scrutiny Committee, 13 March 2024, minute 39, decision."
        " The quoted words are outlined on the page."
    )
    visit.shot("08-decision-page")
    assert visit.axe_violations() == []
    visit.close()


def _upload(visit: Visit, path: Path) -> None:
    page = visit.page
    # The box is empty (the last "Add" cleared it) before a file is chosen.
    page.wait_for_function("() => !document.querySelector('#uploads table.file-preview')")
    page.locator("#uploads input[type=file]").set_input_files(str(path))
    # The name shows while the file is still uploading; the file list appears once it is on the server.
    page.locator(f'#uploads table.file-preview td.filename[aria-label="{path.name}"]').wait_for()
    page.get_by_role("button", name="Add to the index").click()


def test_documents_tab_adds_a_pdf_and_refuses_a_broken_one(
    running_app: tuple[str, Settings], browser, tmp_path: Path
) -> None:
    url, settings = running_app
    visit = Visit(browser, url, viewport={"width": 1400, "height": 1000})
    page = visit.page
    page.get_by_role("tab", name="Documents").click()
    table = page.locator("#documents table")
    table.wait_for()
    rows_before = table.locator("tbody tr").count()
    assert rows_before == 8  # the pack's agenda, two minutes, reports, deck, plan and glossary
    visit.shot("09-documents")

    _upload(visit, UPLOAD)
    status = page.locator("#upload-status")
    status.get_by_text("Added and searchable now").wait_for(timeout=INGEST_TIMEOUT_MS)
    assert status.inner_text() == f"Added and searchable now: {UPLOAD.name}."
    assert table.locator("tbody tr").count() == rows_before + 1
    new_row = table.locator("tbody tr", has_text="Minutes of the Corporate Parenting Panel, 10 December 2024")
    assert new_row.locator("td").nth(5).inner_text() == UPLOAD.name
    assert new_row.locator("td").nth(6).inner_text().endswith("(uploaded)")
    assert sorted(p.name for p in settings.upload_dir.iterdir()) == [UPLOAD.name]
    visit.shot("10-uploaded")

    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"not a pdf")
    _upload(visit, broken)
    error = status.locator(".status-error")
    error.wait_for(timeout=INGEST_TIMEOUT_MS)
    assert error.inner_text() == (
        "Not added. broken.pdf: is not a PDF file (it looks like plain text); only PDFs can be ingested"
    )
    assert table.locator("tbody tr").count() == rows_before + 1
    assert sorted(p.name for p in settings.upload_dir.iterdir()) == [UPLOAD.name]
    visit.shot("11-broken-refused")
    assert visit.axe_violations() == []

    # Searchable at once: its answer cites it, and its page comes from the upload folder.
    page.get_by_role("tab", name="Ask").click()
    visit.ask("What's the target for the Corporate Parent Christmas Campaign?", "£25,000")
    # The citation of the passage that gives the target (an answer may quote more than one passage).
    card = page.locator("#sources .source-card", has_text="£25,000").first
    number = (card.get_attribute("id") or "").removeprefix("source-card-")
    page.locator("#conversation .bot-row").last.locator("a.cite", has_text=f"[{number}]").first.click()
    page.locator("#sources .source-card.selected").wait_for(timeout=20_000)
    assert visit.image_width("#page-view") == PAGE_WIDTH_PX  # A4 too
    assert page.locator("#page-view figcaption").inner_text() == (
        f"Page 5 of {UPLOAD.name}: [{number}] Minutes, 10 December 2024 — item 8 Corporate Parenting Annual Report 2024"
        " (pages 4–5; cited text on page 5). The quoted words are outlined on the page."
    )
    visit.shot("12-uploaded-document-cited")
    visit.close()


def test_readable_at_200_percent_zoom(running_app: tuple[str, Settings], browser) -> None:
    """A 1280-pixel-wide window at 200 % zoom lays the page out in 640 CSS pixels: everything
    must fit that width without scrolling sideways."""
    url, _ = running_app
    visit = Visit(browser, url, viewport={"width": 640, "height": 900}, device_scale_factor=2)
    page = visit.page
    visit.ask("What budget gap was the Council facing for 2024/25?", "£23.335m")
    page.locator("#conversation .bot-row a.cite").first.click()
    # In one column the Sources panel is below the chat: the selected source is scrolled into view.
    expect(page.locator("#sources .source-card.selected")).to_be_in_viewport(timeout=20_000)
    fits = "() => document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(fits)
    visit.shot("13-zoom-200-ask")
    page.get_by_role("tab", name="Decisions").click()
    page.locator("#register a.open-page").first.click()
    expect(page.locator("#decision-page-view img")).to_be_in_viewport(timeout=20_000)
    assert page.evaluate(fits)
    visit.shot("14-zoom-200-decisions")
    page.get_by_role("tab", name="Documents").click()
    page.locator("#documents table").wait_for()
    assert page.evaluate(fits)
    visit.shot("15-zoom-200-documents")
    assert visit.axe_violations() == []
    visit.close()


def test_dark_mode_keeps_the_contrast(running_app: tuple[str, Settings], browser) -> None:
    """Gradio follows the system's dark mode; the app's own colours have dark variants."""
    url, _ = running_app
    visit = Visit(browser, url, viewport={"width": 1400, "height": 1000}, color_scheme="dark")
    page = visit.page
    assert page.evaluate("() => document.body.classList.contains('dark')")
    visit.ask("What does TCLPM stand for?", "Threshold of Care Legal Planning Meeting")
    page.locator("#conversation .bot-row a.cite").first.click()
    page.locator("#sources .source-card.selected").wait_for(timeout=20_000)
    visit.shot("16-dark-ask")
    assert visit.axe_violations() == []
    page.get_by_role("tab", name="Decisions").click()
    page.locator("#register a.open-page").first.click()
    page.locator("#register li.resolution.selected").wait_for(timeout=20_000)
    visit.shot("17-dark-decisions")
    assert visit.axe_violations() == []
    visit.close()


# ---- conversations that last, documents to manage, a page view to read, keyboard and small screens ----


def in_view(visit: Visit, selector: str) -> list[float]:
    """[top, bottom, width, window height] of the element: in view when 0 <= top and bottom <= height."""
    return visit.page.evaluate(
        "sel => { const r = document.querySelector(sel).getBoundingClientRect(); return [r.top, r.bottom, r.width,"
        " innerHeight]; }",
        selector,
    )


def test_a_conversation_survives_a_reload_and_clearing_resets_it(running_app: tuple[str, Settings], browser) -> None:
    url, _ = running_app
    visit = Visit(browser, url, viewport={"width": 1400, "height": 1000})
    page = visit.page
    visit.ask("What budget gap was the Council facing for 2024/25?", "£23.335m")
    visit.ask("What was the average void turnaround time in 2024?", "32.8 days")
    sources_before = page.locator("#sources").inner_text()
    cards = page.locator("#sources .source-card").count()
    page.reload()
    page.get_by_label("Your question").wait_for()
    bubbles = page.locator("#conversation .bot-row")
    expect(bubbles).to_have_count(2, timeout=20_000)
    expect(bubbles.nth(0)).to_contain_text("£23.335m")
    expect(page.locator("#sources .source-card")).to_have_count(cards)
    assert page.locator("#sources").inner_text() == sources_before
    assert page.get_by_role("button", name="Download conversation").is_enabled()
    visit.shot("18-conversation-after-reload")
    # The follow-up is still read with the conversation's context after the reload.
    visit.ask("And in 2023?", "61.5 days")

    page.get_by_text("Your conversations").click()
    page.get_by_label("Rename this conversation").fill("Budget and voids")
    page.get_by_role("button", name="Rename").click()
    expect(page.locator("#ask-status")).to_have_text("Renamed to “Budget and voids”.")
    # The chat's own clear control does what "New conversation" does: sources and context go too.
    page.locator("#conversation").get_by_role("button", name="Clear").click()
    expect(bubbles).to_have_count(0)
    expect(page.locator("#sources")).to_contain_text("Sources of the latest answer appear here.")
    assert page.get_by_role("button", name="Download conversation").is_disabled()
    visit.ask("And in January?", re.compile(r"\[1\]|do not answer"))
    assert "61.5 days" not in bubbles.last.inner_text()  # not read as a follow-up of the cleared conversation
    page.reload()
    page.get_by_label("Your question").wait_for()
    expect(bubbles).to_have_count(1, timeout=20_000)  # the current conversation is the new one

    page.get_by_text("Your conversations").click()
    page.get_by_label("Open a conversation").click()
    page.get_by_role("option", name=re.compile(r"^Budget and voids \(")).click()
    expect(bubbles).to_have_count(3, timeout=20_000)
    expect(bubbles.nth(2)).to_contain_text("61.5 days")
    visit.shot("19-conversation-reopened")
    assert visit.axe_violations() == []
    visit.close()


@pytest.mark.parametrize(("width", "height"), [(1400, 1000), (1280, 720)])
def test_selecting_a_citation_brings_its_page_into_view(
    running_app: tuple[str, Settings], browser, width: int, height: int
) -> None:
    url, _ = running_app
    visit = Visit(browser, url, viewport={"width": width, "height": height})
    page = visit.page
    visit.ask("What budget gap was the Council facing for 2024/25?", "£23.335m")
    page.locator("#conversation .bot-row a.cite", has_text="[1]").first.click()
    assert visit.image_width("#page-view") == PAGE_WIDTH_PX
    # Brought into view whole, without scrolling: the page fitted to the panel and to the window.
    page.wait_for_function(
        "() => { const r = document.querySelector('#page-view img').getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= innerHeight; }",
        timeout=10_000,
    )
    visit.shot(f"20-page-in-view-{width}x{height}", full_page=False)  # what is in view, as a person sees it
    # Zoomed, the page is shown at its rendered size, legible, and scrolls inside the panel.
    page.get_by_role("button", name="Zoom in").click()
    shown = in_view(visit, "#page-view img")[2]
    assert shown >= 700, shown
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("button", name="Fit to panel").click()
    page.get_by_role("link", name=re.compile(r"^Next page")).click()
    expect(page.locator("#page-view figcaption")).to_have_text(f"Page 4 of {CORPUS_PDF.name}.")
    page.get_by_role("link", name=re.compile(r"^Previous page")).click()
    expect(page.locator("#page-view figcaption")).to_have_text(f"Page 3 of {CORPUS_PDF.name}.")
    href = page.get_by_role("link", name=re.compile(r"^Open the PDF at this page")).get_attribute("href")
    assert href == f"pdf/{CORPUS_PDF.name}#page=3"
    served = page.request.get(url + href.split("#")[0])
    assert (served.status, served.headers["content-type"]) == (200, "application/pdf")
    assert served.body() == CORPUS_PDF.read_bytes()
    assert visit.axe_violations() == []
    visit.close()


def test_a_removed_document_no_longer_answers(running_app: tuple[str, Settings], browser) -> None:
    url, settings = running_app
    visit = Visit(browser, url, viewport={"width": 1400, "height": 1000})
    page = visit.page
    page.get_by_role("tab", name="Documents").click()
    table = page.locator("#documents table")
    # Filled once the bundled pack is listed (the table first renders empty while the list loads).
    table.locator("tbody tr", has_text=CORPUS_PDF.name).first.wait_for()
    if not table.locator("tbody tr", has_text=UPLOAD.name).count():  # the upload test may not have run
        _upload(visit, UPLOAD)
        # The one progress display moves: per page read, per batch embedded, then writing.
        status = page.locator("#upload-status")
        seen: list[str] = []
        deadline = time.monotonic() + INGEST_TIMEOUT_MS / 1000
        already = "Already in the index, unchanged"
        while not any(done in status.inner_text() for done in ("Added and searchable now", already)):
            assert time.monotonic() < deadline, seen
            seen.append(status.inner_text())
            page.wait_for_timeout(150)
        # The table lists what it has room for: the upload test may have added the file already (then its
        # progress was watched there).
        if already not in status.inner_text():
            stages = {s for s in seen if "(file 1 of 1): " in s}
            assert len(stages) >= 3, seen
            assert any("reading page" in s for s in stages) and any("embedding" in s for s in stages), stages
    page.get_by_label("File", exact=True).click()
    page.get_by_role("option", name=UPLOAD.name).click()
    page.get_by_role("button", name="Show how it was read").click()
    reading = page.locator("#reading")
    expect(reading.locator("h3")).to_have_text(f"How {UPLOAD.name} was read")
    assert reading.locator("td", has_text="item 8 Corporate Parenting Annual Report 2024").count() >= 1
    reading.scroll_into_view_if_needed()
    visit.shot("21-documents-how-it-was-read", full_page=False)

    page.get_by_role("button", name="Remove from the index").click()
    confirm = page.locator("#confirm-removal")
    expect(confirm).to_contain_text(f"Remove {UPLOAD.name} from the index?")
    visit.shot("22-documents-remove-asks")
    assert visit.axe_violations() == []
    page.get_by_role("button", name="Yes, remove it").click()
    expect(page.locator("#manage-status")).to_have_text(
        f"{UPLOAD.name}: removed from the index and from the upload folder.", timeout=INGEST_TIMEOUT_MS
    )
    assert table.locator("tbody tr", has_text=UPLOAD.name).count() == 0
    assert sorted(p.name for p in settings.upload_dir.iterdir()) == []

    page.get_by_role("tab", name="Ask").click()
    visit.ask("What's the target for the Corporate Parent Christmas Campaign?", re.compile(r"\[1\]|do not answer"))
    assert "£25,000" not in page.locator("#conversation .bot-row").last.inner_text()
    assert UPLOAD.name not in page.locator("#sources").inner_text()
    visit.close()


def test_arrow_keys_move_between_tabs_and_800_px_is_one_column(running_app: tuple[str, Settings], browser) -> None:
    url, _ = running_app
    visit = Visit(browser, url, viewport={"width": 800, "height": 900})
    page = visit.page
    chat, sources = in_view(visit, "#conversation"), in_view(visit, "#sources")
    assert sources[0] >= chat[1]  # below the chat, not beside it
    lefts = page.evaluate(
        "() => [...document.querySelectorAll('#conversation, #sources')].map(e => e.getBoundingClientRect().left)"
    )
    assert lefts[0] == lefts[1]
    visit.shot("23-one-column-800px")
    page.get_by_role("tab", name="Ask").focus()
    for key, selected in [("ArrowRight", "Decisions"), ("ArrowRight", "Documents"), ("ArrowRight", "Ask"),
                          ("ArrowLeft", "Documents"), ("Home", "Ask"), ("End", "Documents")]:  # fmt: skip
        page.keyboard.press(key)
        expect(page.get_by_role("tab", name=selected)).to_have_attribute("aria-selected", "true")
        assert page.evaluate("() => document.activeElement.textContent.trim()") == selected
    assert visit.axe_violations() == []
    visit.close()
