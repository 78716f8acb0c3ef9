"""The translation catalogs (locale/, kept with Babel): complete, placeholders kept, the template
as the code's words are now; the words already translated stay so; and each session its own
language (ui.i18n)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from nn.storage.paths import REPO_ROOT

LOCALE = REPO_ROOT / "locale"
CATALOGS = sorted(LOCALE.glob("*/LC_MESSAGES/digitlab.po"))
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\(\w+\)[sd]|%[sd]")


def read(path: Path):
    with path.open("rb") as f:
        return read_po(f)


def test_there_is_a_lithuanian_catalog():
    assert LOCALE / "lt" / "LC_MESSAGES" / "digitlab.po" in CATALOGS


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.parts[-3])
def test_every_word_is_translated_with_its_placeholders_and_nothing_is_fuzzy(path):
    catalog = read(path)
    template = {m.id for m in read(LOCALE / "digitlab.pot") if m.id}
    ids = {m.id for m in catalog if m.id}
    assert template == ids, f"run pybabel update: missing {template - ids}, stale {ids - template}"
    for message in catalog:
        if not message.id:
            continue
        assert not message.fuzzy, message.id
        singular, plural = (message.id, message.id) if isinstance(message.id, str) else message.id
        forms = [message.string] if isinstance(message.string, str) else list(message.string)
        if not isinstance(message.id, str):
            assert len(forms) == catalog.num_plurals, message.id  # Lithuanian: three
        for form in forms:
            assert form, f"{path.parts[-3]}: {message.id!r} has no translation"
            kept = sorted(PLACEHOLDER.findall(form))
            assert kept in (sorted(PLACEHOLDER.findall(singular)), sorted(PLACEHOLDER.findall(plural))), form


def test_the_template_holds_the_words_the_code_marks_now(tmp_path):
    fresh = tmp_path / "digitlab.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_",
                    "-k", "n_:1,2", "--no-location", "-o", str(fresh), "."], cwd=REPO_ROOT, check=True,
                   capture_output=True)
    assert {m.id for m in read(fresh) if m.id} == {m.id for m in read(LOCALE / "digitlab.pot") if m.id}, (
        "the code marks other words than locale/digitlab.pot holds: run pybabel extract and update "
        "(docs/translating.md)")


def _is_translated(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "n_")


def test_page_titles_and_the_menu_are_never_left_untranslated():
    """The words translated so far stay so: every page's title and every menu entry goes through _()."""
    escaped = []
    for path in [REPO_ROOT / "app.py", *sorted((REPO_ROOT / "pages").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            if node.func.attr == "title" and node.args and not _is_translated(node.args[0]):
                escaped.append(f"{path.name}:{node.lineno} st.title")
            if node.func.attr == "Page":
                title = next((k.value for k in node.keywords if k.arg == "title"), None)
                if title is not None and not _is_translated(title):
                    escaped.append(f"{path.name}:{node.lineno} st.Page title")
    assert not escaped, escaped


def test_a_browsers_locale_picks_its_language():
    from ui.i18n import from_locale

    assert [from_locale(x) for x in ("lt-LT", "lt", "LT_lt", "en-GB", "de-DE", "", None)] == [
        "lt", "lt", "lt", "en", "en", "en", "en"]


def test_the_compiled_catalog_answers_in_lithuanian_and_english_as_written():
    from ui.i18n import catalog

    if not (LOCALE / "lt" / "LC_MESSAGES" / "digitlab.mo").exists():
        pytest.skip("compiled by scripts/setup.sh (./test.sh does it)")
    lt = catalog("lt")
    assert lt.gettext("Draw") == "Piešti" and catalog("en").gettext("Draw") == "Draw"
    assert lt.gettext("no such words") == "no such words"
