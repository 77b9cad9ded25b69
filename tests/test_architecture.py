"""The house's shape, checked on every run: the import contracts in pyproject.toml and the size of modules.

docs/architecture.md draws the parts and their arrows; these tests keep the drawing true.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# A module past this many lines is split by concern (the floor's typed client models may run longer: one per
# wire shape). Models files sit close to it on purpose: one table each, nothing else.
MAX_LINES = 440
SIZED = ["devices", "mall", "voipadmin/console"]


def test_import_contracts_hold() -> None:
    """Sandbox and dashboard apart; roof -> apps -> floor; clients import no app; no cycle among siblings."""
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports; "
            "sys.exit(lint_imports(no_cache=True, no_logo=True))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "BROKEN" not in run.stdout


@pytest.mark.parametrize("part", SIZED)
def test_no_module_of_a_part_outgrows_one_concern(part: str) -> None:
    too_long = {
        str(path.relative_to(ROOT)): n
        for path in (ROOT / part).rglob("*.py")
        if "migrations" not in path.parts
        and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not too_long, f"split these by concern: {too_long}"
