"""Bounded work per request, exports on request, the CLI's filters checked as the app checks them."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fakes import HashEmbedder
from pdf_factory import make_text_pdf
from test_chroma_server import CABINET

from assistant import cli
from assistant.errors import AnswerOverBudget, QuestionRefused
from assistant.export import export_name, write_export
from assistant.service import Assistant, ChatSession
from ingest.pipeline import Ingestor
from ingest.settings import Settings
from ingest.store import Index

QUESTION = "What was the budget gap for 2025/26?"
TOO_LONG = "The question is 1,001 characters long; the most is 1,000. Ask it in fewer words, one question at a time."


@pytest.fixture
def assistant(settings: Settings, index: Index) -> Assistant:
    make_text_pdf(settings.corpus_dir / "cabinet-2025-01-30.pdf", CABINET)
    Ingestor(settings, index, HashEmbedder()).sync_folder(settings.corpus_dir)
    return Assistant(settings, index, HashEmbedder())


# ---- bounded questions ------------------------------------------------------------------------------


def test_a_question_over_the_limit_is_refused_before_any_work(assistant: Assistant) -> None:
    assert assistant.settings.max_question_chars == 1000
    with pytest.raises(QuestionRefused) as caught:
        assistant.ask("A" * 1001)
    assert str(caught.value) == TOO_LONG
    # Surrounding white space is not counted; at the limit the question is answered.
    at_limit = ("budget gap " * 100)[:999] + "?"
    assert assistant.ask(f"  {at_limit}\n").question == at_limit


def test_the_limit_is_a_setting(settings: Settings) -> None:
    assert Settings.from_env(env={"SCRUTINEER_MAX_QUESTION_CHARS": "50"}).max_question_chars == 50
    assert Settings.from_env(env={"SCRUTINEER_ANSWER_BUDGET_S": "2.5"}).answer_budget_s == 2.5


def test_an_answer_over_its_budget_stops_with_a_message(assistant: Assistant) -> None:
    import dataclasses

    assistant.settings = dataclasses.replace(assistant.settings, answer_budget_s=0.0)
    with pytest.raises(AnswerOverBudget) as caught:
        assistant.ask(QUESTION)
    assert str(caught.value) == (
        "The answer took longer than 0 s (SCRUTINEER_ANSWER_BUDGET_S) and was stopped; ask a shorter or more"
        " specific question, or try again when the server is less busy."
    )


def test_the_app_and_the_cli_refuse_a_long_question_with_the_same_line(
    assistant: Assistant, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import app

    demo = app.build_app(assistant)
    respond = next(f.fn for f in demo.fns.values() if f.name == "respond")
    outputs = respond("A" * 1001, [], None, [], [], [], "", "")
    assert outputs[0] == "A" * 1001  # the question stays in its box, to be shortened
    assert outputs[-1] == app.status_html(TOO_LONG, error=True)
    monkeypatch.setattr("assistant.service.Assistant", lambda *_a, **_k: assistant)
    monkeypatch.setattr(Settings, "from_env", classmethod(lambda cls, *a, **k: assistant.settings))
    assert cli.main(["ask", "A" * 1001]) == 2
    assert capsys.readouterr().err == f"error: {TOO_LONG}\n"


# ---- CLI filters ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--date-from", "garbage"],
            "--date-from: “garbage” is not a date; write it as YYYY-MM-DD, e.g. 2024-03-13",
        ),
        (["--date-to", "2024-13-01"], "--date-to: “2024-13-01” is not a date; write it as YYYY-MM-DD, e.g. 2024-03-13"),
        (
            ["--date-from", "2024-05-01", "--date-to", "2024-01-01"],
            "--date-from (2024-05-01) is after --date-to (2024-01-01)",
        ),
    ],
)
def test_cli_filters_are_checked_as_the_app_checks_them(
    options: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Refused before the model or the index is opened: nothing else in this process is set up for it.
    assert cli.main(["ask", QUESTION, *options]) == 2
    assert capsys.readouterr().err == f"error: {message}\n"


def test_cli_bad_date_exits_2_from_the_command_line(settings: Settings) -> None:
    env = {**os.environ, "SCRUTINEER_INDEX_DIR": str(settings.index_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ask", QUESTION, "--date-from", "garbage"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr == "error: --date-from: “garbage” is not a date; write it as YYYY-MM-DD, e.g. 2024-03-13\n"
    assert not settings.index_dir.exists()  # nothing was opened, let alone built


# ---- exports and temporary files --------------------------------------------------------------------


def test_one_export_file_per_conversation_replaced_and_private(assistant: Assistant, tmp_path: Path) -> None:
    session = ChatSession()
    assistant.ask(QUESTION, session=session)
    folder = tmp_path / "exports" / session.id
    first = write_export(session, folder)
    assert first == folder / export_name(session)
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    assistant.ask("And who presented it?", session=session)
    second = write_export(session, folder)
    assert second == first
    assert [p.name for p in folder.iterdir()] == [first.name]
    assert "## 2. And who presented it?" in second.read_text(encoding="utf-8")
    assert stat.S_IMODE(second.stat().st_mode) == 0o600


def test_answers_write_no_file_the_button_writes_one(assistant: Assistant) -> None:
    import app

    demo = app.build_app(assistant)
    fns = {f.name: f.fn for f in demo.fns.values()}
    exports = assistant.settings.export_dir
    outputs = fns["respond"](QUESTION, [], None, [], [], [], "", "")
    session = outputs[2]
    outputs = fns["respond"]("And who presented it?", outputs[1], session, [], [], [], "", "")
    assert not exports.exists() or list(exports.rglob("*")) == []
    file_update, _status = fns["export_conversation"](session)
    written = Path(file_update["value"])
    assert written == exports / session.id / export_name(session)
    assert list(exports.rglob("*.md")) == [written]
    fns["export_conversation"](session)
    assert list(exports.rglob("*.md")) == [written]
    _, status = fns["export_conversation"](None)
    assert status == app.status_html("Ask a question first: there is nothing to download yet.", error=True)


def test_temp_folders_are_the_apps_own_and_old_files_go_at_start(settings: Settings) -> None:
    import app

    folder = settings.app_temp_dir
    old_upload = folder / "0a1b" / "old.pdf"
    old_export = settings.export_dir / "abc" / "scrutineer-conversation-20240101-000000.md"
    fresh = folder / "2c3d" / "fresh.pdf"
    for path in (old_upload, old_export, fresh):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    day_and_a_bit = time.time() - app.TEMP_MAX_AGE_S - 60
    for path in (old_upload, old_export, old_upload.parent, old_export.parent):
        os.utime(path, (day_and_a_bit, day_and_a_bit))
    assert app.prepare_temp_folders(settings) == 2
    assert os.environ["GRADIO_TEMP_DIR"] == str(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) == ["2c3d", "2c3d/fresh.pdf", "exports"]
