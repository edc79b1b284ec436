"""Repository-wide checks: lint clean."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_clean() -> None:
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    if not Path(ruff).exists():
        pytest.fail("ruff is not installed: install the test extra (pip install -e '.[test]')")
    result = subprocess.run([ruff, "check", str(ROOT)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_readme_documents_every_setting() -> None:
    from ingest.settings import Settings

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [env for env, _, _ in Settings.describe() if f"`{env}`" not in readme]
    assert missing == []


def test_readme_starts_with_the_two_commands_and_ci_runs_the_test_one() -> None:
    lines = [ln.strip() for ln in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()]
    commands = [ln for ln in lines[:12] if "python3 -m venv" in ln]
    assert len(commands) == 2
    assert commands[0].endswith("scrutineer serve")
    assert commands[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
