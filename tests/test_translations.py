"""The zh-Hans and en catalogs are complete: every marked string of the source is translated, none fuzzy."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ("zh_Hans", "en")
# As `make makemessages` ignores them; the copy of the source leaves them out, with what holds no source.
IGNORED = (".venv", "node_modules", "var", "tests", "sandbox")
NOT_SOURCE = (".git", "test-artifacts", "__pycache__")


def _problems(po_file: Path) -> list[str]:
    """Untranslated and fuzzy entries, read with gettext's own msgattrib."""
    problems = []
    for flag, what in (("--untranslated", "untranslated"), ("--only-fuzzy", "fuzzy")):
        out = subprocess.run(
            ["msgattrib", flag, "--no-obsolete", str(po_file)], capture_output=True, text=True, check=True
        ).stdout
        ids = [line for line in out.splitlines() if line.startswith("msgid ") and line != 'msgid ""']
        problems += [f"{what}: {line[6:]}" for line in ids]
    return problems


@pytest.mark.parametrize("locale", LOCALES)
def test_committed_catalog_has_no_untranslated_or_fuzzy_entry(locale: str) -> None:
    po = ROOT / "locale" / locale / "LC_MESSAGES" / "django.po"
    assert po.exists()
    assert _problems(po) == []


def _obsolete(po_file: Path) -> list[str]:
    """Entries the extraction no longer finds in the source (kept as ``#~`` comments, no longer translated)."""
    out = subprocess.run(
        ["msgattrib", "--only-obsolete", str(po_file)], capture_output=True, text=True, check=True
    ).stdout
    return [line[9:] for line in out.splitlines() if line.startswith("#~ msgid ") and line != '#~ msgid ""']


def _checksums(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*.po"))
    }


def test_every_string_in_the_source_is_in_both_catalogs(tmp_path: Path, settings, monkeypatch) -> None:
    """Re-extract the strings into a copy of the catalogs: nothing new may appear untranslated, and no translation
    may drop out. A string the code still shows but extraction cannot see (a ``gettext`` call inside an f-string)
    would leave the catalog at the next ``make makemessages`` and be shown in English to every reader."""
    # makemessages writes a file's strings to the catalogs of a locale folder beside one of its parents (./locale
    # here), not to LOCALE_PATHS[0]: so it runs in a copy of the whole source, never on the real catalogs.
    real = _checksums(ROOT / "locale")
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, symlinks=True, ignore=shutil.ignore_patterns(*NOT_SOURCE, *IGNORED))
    monkeypatch.chdir(src)
    settings.LOCALE_PATHS = [src / "locale"]
    call_command(
        "makemessages", locale=list(LOCALES), ignore_patterns=list(IGNORED), no_location=True, verbosity=0
    )
    problems = {
        locale: _problems(src / "locale" / locale / "LC_MESSAGES" / "django.po") for locale in LOCALES
    }
    assert problems == {locale: [] for locale in LOCALES}
    dropped = {locale: _obsolete(src / "locale" / locale / "LC_MESSAGES" / "django.po") for locale in LOCALES}
    assert dropped == {locale: [] for locale in LOCALES}
    assert _checksums(ROOT / "locale") == real
