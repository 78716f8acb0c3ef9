"""The class in Chromium, per-user mode, two students and a teacher (token mode: the teacher link
the server prints; with a login: DIGITLAB_TEACHERS). Ann shares a model; Bob finds it in the
picker and on the leaderboard, uses it on Draw, and can neither unpublish nor delete it; the
teacher sees both students' runs and stops Bob's; a student opening the Class page's address sees
no class data."""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from harness.browser import (
    assert_no_exception,
    choose,
    click,
    fill_number,
    grid_texts,
    navigate,
    new_page,
    open_train_form,
    see,
    select_row,
    set_train_form,
    wait_idle,
    widget,
)
from harness.server import start_app, stop_app
from harness.strokes import canvas_box, draw_digit
from tests.e2e.test_workspaces import PER_USER, log_in, set_claims, start_with_login, train_and_save

TEACHER_LINK = re.compile(r"Teacher link \(keep it to yourself\): (\S+)")


@pytest.fixture(scope="module")
def class_app(tmp_path_factory):
    app = start_app(tmp_path_factory.mktemp("class"), env=PER_USER)
    yield app
    stop_app(app)


@contextmanager
def closed_at_the_end(*pages):
    """The pages' browser contexts, closed when the block ends, also when it fails."""
    try:
        yield pages
    finally:
        for page in pages:
            page.context.close()


def teacher_link(app) -> str:
    """The link as the teacher reads it in the server's output, on this test's port."""
    found = TEACHER_LINK.search(app.log.read_text())
    assert found, "the server printed no teacher link"
    return re.sub(r"^http://[^/]+", app.url, found.group(1))


def student(browser, url: str, name: str):
    page = new_page(browser)
    page.goto(url)
    wait_idle(page)
    widget(page, "person_name").locator("input").fill(name)
    page.get_by_role("button", name="Keep this name").click()
    wait_idle(page)
    see(page, "The class knows you as")
    return page


def share(page, url: str, model: str, title: str) -> None:
    navigate(page, "Models")
    select_row(page, "models_table", model)
    widget(page, "publish_title").locator("input").fill(title)
    click(page, "publish_model")
    wait_idle(page)
    see(page, "Shared with the class as")


def start_a_long_run(page, url: str) -> None:
    set_train_form(page, url, "dense-128", 30)
    click(page, "train_start")
    page.wait_for_function("""() => /epoch \\d+\\/30 · batch/.test(
        document.querySelector('[data-testid="stProgress"]')?.innerText || "")""", timeout=120_000)


def test_a_shared_model_is_everyones_and_the_teacher_sees_and_stops_the_class(browser, class_app):
    url = class_app.url
    ann, bob = student(browser, url, "Ann"), student(browser, url, "Bob")
    teacher = new_page(browser)
    with closed_at_the_end(ann, bob, teacher):
        train_and_save(ann, url, "ann-model")
        share(ann, url, "ann-model", "Ann's net")
        start_a_long_run(bob, url)

        # Bob finds it in the picker's Class group, and it reads his drawing on Draw.
        navigate(bob, "Draw")
        choose(bob, "active_model", "Class · Ann's net by Ann", exact=False)
        wait_idle(bob)
        draw_digit(bob, canvas_box(bob), 1, 200, 40, 40)
        bob.get_by_test_id("answer").first.wait_for()
        navigate(bob, "Leaderboard")
        assert "Ann's net" in grid_texts(bob, "leaderboard") and "Ann" in grid_texts(bob, "leaderboard")
        navigate(bob, "Models")
        select_row(bob, "models_table", "class/ann-s-net")
        expect(widget(bob, "delete_model").locator("button").first).to_be_disabled()
        assert widget(bob, "unpublish_model").count() == 0 and widget(bob, "publish_model").count() == 0

        # A student at the Class page's address: no such page, no class data.
        token = parse_qs(urlparse(bob.url).query)["workspace"][0]
        # The leaderboard in Lithuanian: its own words, none of its English ones.
        bob.goto(f"{url}/leaderboard?workspace={token}&lang=lt")
        wait_idle(bob)
        see(bob, "Pasirinkite eilutę")
        shown = bob.locator("main").inner_text()
        assert "Lyderių lentelė" in shown and "Ann's net" in grid_texts(bob, "leaderboard"), shown
        assert not [w for w in ("The models people shared", "Select a row", "Data set", "Leaderboard")
                    if w in shown], shown
        bob.goto(f"{url}/class?workspace={token}")
        wait_idle(bob)
        assert widget(bob, "class_runs").count() == 0 and "Bob" not in bob.locator("main").inner_text()
        assert bob.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Class").count() == 0

        # The teacher: both students' runs, live; Bob's is stopped from here.
        teacher.goto(teacher_link(class_app))  # it opens on the Class page
        wait_idle(teacher)
        expect(widget(teacher, "class_runs")).to_be_visible()
        assert teacher.url.split("?")[0].endswith("/class")
        runs = grid_texts(teacher, "class_runs")
        assert "Ann" in runs and "Bob" in runs, runs
        choose(teacher, "class_stop_choice", "Bob: dense-128 on mnist", exact=False)
        click(teacher, "class_stop")
        cells = widget(teacher, "class_runs").locator('[role="gridcell"]')
        stopped = cells.filter(has_text=re.compile("^stopped$"))
        expect(stopped).to_have_count(1, timeout=60_000)  # the live table, refreshed by itself
        bob.goto(f"{url}/train?workspace={token}")
        wait_idle(bob)
        assert "stopped" in grid_texts(bob, "runs_table")  # Bob's page says so too
        # The teacher hides Ann's model: off Bob's leaderboard, still Ann's.
        assert "Ann's net" in grid_texts(teacher, "class_models")
        click(teacher, "class_hide")
        wait_idle(teacher)
        # The Class page in Lithuanian (the sidebar's choice: a new session would not be the teacher's).
        teacher.locator(".st-key-language_choice").get_by_role("radio", name="Lietuvių").click()
        wait_idle(teacher)
        see(teacher, "Klasės ribos")
        shown = teacher.locator("main").inner_text()
        assert not [w for w in ("Everyone's runs", "The class's limits", "Models shared with the class",
                                "Save the limits", "People with runs", "Stop or cancel") if w in shown], shown
        bob.goto(f"{url}/leaderboard?workspace={token}")
        see(bob, "Nobody has shared a model with the class yet")
        navigate(ann, "Models")
        assert "ann-model" in grid_texts(ann, "models_table")
        for page in (ann, bob, teacher):
            assert_no_exception(page)


def test_with_a_login_the_listed_teacher_gets_the_class_page_and_a_student_does_not(
        browser, tmp_path_factory, oidc_provider):
    app = start_with_login(tmp_path_factory.mktemp("class-login"), oidc_provider,
                           {**PER_USER, "DIGITLAB_TEACHERS": "mia@school.example"})
    try:
        ann = log_in(browser, app.url, "ann@school.example")
        nav = ann.locator('[data-testid="stSidebarNav"]')
        assert nav.get_by_role("link", name="Leaderboard").count() == 1
        assert nav.get_by_role("link", name="Class").count() == 0
        ann.context.close()
        set_claims(oidc_provider, "mia@school.example",  # a provider that verified her address
                   {"email": "mia@school.example", "email_verified": True})
        mia = log_in(browser, app.url, "mia@school.example")
        navigate(mia, "Class")
        see(mia, "Nobody has trained yet")
        fill_number(mia, "limit_runs", 1)  # while the server runs, for every server of the class
        mia.get_by_role("button", name="Save the limits").click()
        see(mia, "Saved: they hold from now on")
        changed = json.loads((app.folder / "runs" / ".class-limits.json").read_text())
        assert changed["DIGITLAB_MAX_RUNS_PER_PERSON"] == 1
        assert_no_exception(mia)
        mia.context.close()
    finally:
        stop_app(app)


def test_a_class_set_takes_both_students_drawings_and_the_teacher_hides_one(browser, class_app):
    """The teacher makes a class set; two students draw into it; the teacher sees who drew what and
    hides one of the first's; both students' counts leave it out; a model of the set is ranked on
    the leaderboard under the set's own name."""
    from tests.e2e.test_own_sets import SHAPES, count_of, create_set, draw_into, own_canvas

    url = class_app.url
    teacher = new_page(browser)
    cara, dan = student(browser, url, "Cara"), student(browser, url, "Dan")
    with closed_at_the_end(cara, dan, teacher):
        teacher.goto(teacher_link(class_app))
        wait_idle(teacher)
        navigate(teacher, "Data sets")
        create_set(teacher, "Our marks", "✓, o", for_class=True)
        for person in (cara, dan):
            navigate(person, "Data sets")
            choose(person, "own_set", "Our marks (the class's)")
            wait_idle(person)
            version = draw_into(person, "✓", SHAPES["✓"], 5, 0, counted_from=0 if person is cara else 5)
            draw_into(person, "o", SHAPES["o"], 5, version, counted_from=0 if person is cara else 5)
        assert own_canvas(cara, 0).count() == 0  # each drawing got a fresh canvas

        navigate(teacher, "Draw")  # and back: the page reads the set afresh
        navigate(teacher, "Data sets")
        people = widget(teacher, "own_people").inner_text()
        assert "Cara" in people and "Dan" in people, people
        teacher.locator("[class*='st-key-own_class_']").get_by_role("radio", name="✓", exact=True).click()
        wait_idle(teacher)
        teacher.locator("[class*='st-key-own_pick_']").filter(has_text="Cara").first.locator("label").click()
        wait_idle(teacher)
        click(teacher, "own_hide")
        wait_idle(teacher)
        for person in (cara, dan):
            navigate(person, "Draw")
            navigate(person, "Data sets")
            assert (count_of(person, "✓"), count_of(person, "o")) == (9, 10)

        open_train_form(cara, url)
        choose(cara, "train_dataset", "Our marks (the class's, 19 drawings)")
        wait_idle(cara)
        click(cara, "train_start")
        expect(widget(cara, "save_model")).to_be_visible(timeout=300_000)
        widget(cara, "save_name").locator("input").fill("cara-marks")
        click(cara, "save_model")
        wait_idle(cara)
        share(cara, url, "cara-marks", "Cara's marks")
        navigate(dan, "Leaderboard")
        widget(dan, "board_dataset").get_by_role("radio", name="Our marks").click()
        wait_idle(dan)
        texts = grid_texts(dan, "leaderboard")
        assert "Cara's marks" in texts
        assert any("people the model never saw" in t for t in texts), texts  # on whom it was scored
        for page in (cara, dan, teacher):
            assert_no_exception(page)
