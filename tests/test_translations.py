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
    # the keywords docs/translating.md gives
    keywords = ["-k", "_", "-k", "n_:1,2", "-k", "said", "-k", "counted:1,2", "-k", "term"]
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", *keywords,
                    "--no-location", "-o", str(fresh), "."], cwd=REPO_ROOT, check=True, capture_output=True)
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


# The files whose every word is translated so far (issue 38 goes on page by page): in them, a
# Streamlit call's words go through _() or n_(), never as a bare string or an f-string.
TRANSLATED = ["pages/leaderboard.py", "ui/leaderboard.py", "pages/class.py", "ui/class_view.py",
              "pages/models.py", "ui/models_view.py", "ui/files.py", "pages/draw.py", "ui/draw_panel.py",
              "ui/live_canvas.py", "ui/inside_views.py", "pages/evaluate.py", "ui/evaluate_views.py",
              "ui/state.py", "ui/charts.py", "ui/tables.py", "ui/workspace.py",
              "ui/run_view.py", "ui/run_list.py", "pages/train.py", "ui/train_form.py",
              "pages/datasets.py", "ui/datasets_view.py", "pages/learn.py", "ui/learn_view.py",
              "ui/lesson_views.py"]
SHOWN = {"title", "header", "subheader", "write", "markdown", "caption", "info", "success", "warning",
         "error", "toast", "button", "download_button", "link_button", "page_link", "checkbox", "toggle",
         "radio", "selectbox", "multiselect", "segmented_control", "pills", "slider", "select_slider",
         "text_input", "number_input", "text_area", "file_uploader", "expander", "popover", "tabs",
         "metric", "spinner", "form_submit_button", "status"}
SHOWN_KEYWORDS = {"label", "help", "placeholder", "caption", "body", "title"}


NOT_WORDS = {"Digit Lab", "ą, č, ę, š, ž"}  # the app's name; example letters, the same in every language


def _bare_words(node: ast.expr) -> bool:
    """A string literal (or f-string) with words a person would read: letters outside its HTML
    tags and placeholders, not an icon's name."""
    if isinstance(node, ast.JoinedStr):
        text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    elif isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    else:
        return False
    letters = re.search(r"[^\W\d_]", re.sub(r"<[^>]*>", "", text))  # \w without digits and _
    return not text.startswith(":material/") and text not in NOT_WORDS and letters is not None


def untranslated_words(source: str) -> list[int]:
    """The lines of `source` where a Streamlit call shows words that escape translation."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        if node.func.attr not in SHOWN:
            continue
        shown = node.args[:1] + [k.value for k in node.keywords if k.arg in SHOWN_KEYWORDS]
        if node.func.attr == "tabs" and node.args and isinstance(node.args[0], ast.List):
            shown = list(node.args[0].elts)
        lines += [node.lineno for value in shown if _bare_words(value)]
    return lines


def test_the_check_for_untranslated_words_finds_them():
    found = untranslated_words('st.button("Go")\nst.info(f"{n} left")\nst.button(_("Go"), key="go")\n'
                               'st.tabs(["One", _("Two")])\nst.caption(_("x {n}").format(n=1), help="Why")\n'
                               'st.markdown(f"<b data-x=\'{v}\'>{n}</b>")\nst.write("Ž")\n')
    assert found == [1, 2, 4, 5, 7]


@pytest.mark.parametrize("name", TRANSLATED)
def test_a_translated_files_words_all_go_through_the_catalog(name):
    assert untranslated_words((REPO_ROOT / name).read_text()) == [], name


def test_numbers_shares_moments_and_nns_phrases_read_as_each_language_writes_them():
    from nn import words
    from nn.kinds import registry as kinds
    from nn.training_config import TrainConfig
    from ui import wording

    assert [wording.number(1228800, "en"), wording.number(1228800, "lt")] == ["1,228,800", "1\xa0228\xa0800"]
    assert [wording.accuracy(0.9769, "en"), wording.accuracy(0.9769, "lt")] == ["97.69%", "97,69\xa0%"]
    assert wording.number(0.0003, "lt") == "0,0003" and wording.confidence(0.87, "en") == "87%"
    at = "2026-12-02T04:38:00"
    assert wording.moment(at, lang="en") == "02 Dec 04:38" == words.moment(at)
    assert wording.moment("not a time", lang="lt") == "–"
    line = kinds.named("keras").settings_words(TrainConfig(epochs=2, batch_size=1000, seed=0))
    assert " · ".join(map(str, line)) == "2 epochs · batch 1,000 · adam 0.001"  # the command line's
    if (LOCALE / "lt" / "LC_MESSAGES" / "digitlab.mo").exists():  # compiled by ./test.sh
        assert [wording.say(p, "lt") for p in line] == ["2 epochos", "paketas 1\xa0000", "adam 0,001"]
        assert [wording.say(words.counted("{n} epoch", "{n} epochs", n), "lt") for n in (1, 10, 21)] == [
            "1 epocha", "10 epochų", "21 epocha"]
    assert wording.say(line[0], "en") == "2 epochs"


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.parts[-3])
def test_every_catalog_compiles_without_an_error(path, tmp_path):
    """As scripts/setup.sh compiles it: Babel refuses, for one, a translation whose %-placeholders
    differ from those it finds in the English ("99% of" reads as one)."""
    done = subprocess.run([sys.executable, "-m", "babel.messages.frontend", "compile", "-i", str(path), "-o",
                           str(tmp_path / "digitlab.mo")], capture_output=True, text=True)
    assert done.returncode == 0 and "error" not in done.stderr, done.stderr


def test_an_error_raised_with_a_phrase_reads_in_english_and_in_the_sessions_language():
    """nn stays free of Streamlit: its refusals carry a phrase, which the command line prints in
    English and the app translates (ui.errors.reason)."""
    from nn.phrases import said
    from nn.runs.store import RunError
    from nn.storage.quota import WorkspaceError
    from ui.errors import reason, sentence

    error = RunError(said("the run is training: stop it before deleting it"))  # as nn.runs.store does
    assert str(error) == "the run is training: stop it before deleting it"
    assert sentence(error) == "The run is training: stop it before deleting it."  # English
    if (LOCALE / "lt" / "LC_MESSAGES" / "digitlab.mo").exists():  # compiled by ./test.sh
        from ui import wording

        assert wording.say(error.phrase, "lt") == "mokymas vyksta: prieš ištrindami jį sustabdykite"
    assert reason(WorkspaceError("written as it is")) == "written as it is"
