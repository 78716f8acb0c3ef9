"""The second review's attacks that happen in the page, in Chromium, on a class's server started as
run.sh starts it: one without a login (the teacher link, people's own names) and one with a login
where guests may look around (DIGITLAB_TRAIN_NEEDS_LOGIN=1). The attacks on nn itself are in
tests/test_class_attacks.py; the numbers are the issue's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from harness.browser import (
    assert_no_exception,
    choose,
    click,
    grid_texts,
    navigate,
    new_page,
    open_train_form,
    see,
    select_row,
    wait_idle,
    widget,
)
from harness.server import start_app, stop_app
from nn.storage import tokens
from nn.storage.paths import REPO_ROOT
from tests.e2e.test_class import share, student, teacher_link
from tests.e2e.test_workspaces import PER_USER, log_in, set_claims, start_with_login, train_and_save
from ui.markdown import JOINER

QUOTA_MB = 5


@pytest.fixture(scope="module")
def class_app(tmp_path_factory):
    app = start_app(tmp_path_factory.mktemp("attacks"),
                    env={**PER_USER, "DIGITLAB_MAX_WORKSPACE_MB": str(QUOTA_MB)})
    yield app
    stop_app(app)


def server_cpu_seconds(app) -> float:
    fields = Path(f"/proc/{app.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def models_folder_of(page, app) -> Path:
    """The models folder of the page's workspace, on the app's server."""
    workspace = tokens.from_token(parse_qs(urlparse(page.url).query)["workspace"][0])
    return workspace.folder(app.folder / "models")


def nn_command(app, *args) -> str:
    """`python -m nn ...` as the server's admin runs it, on this server's folders."""
    env = {**os.environ, **PER_USER, "DIGITLAB_RUNS_DIR": str(app.folder / "runs"),
           "DIGITLAB_MODELS_DIR": str(app.folder / "models")}
    done = subprocess.run([sys.executable, "-m", "nn", *args], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def current_teacher_link(app) -> str:
    """The teacher link as it stands now (test_7 makes a new one)."""
    return f"{app.url}/class?teacher={(app.folder / 'runs' / '.teacher-token').read_text()}"


def upload_a_model(page, name: str) -> None:
    """On the Models page: upload a bundled model's file under `name` and press Add (when the
    upload is not refused at once: a full workspace or a guest is told so under the box)."""
    navigate(page, "Models")
    page.locator('.st-key-upload_model input[type="file"]').set_input_files(
        str(REPO_ROOT / "assets" / "models" / "mnist-dense-128.keras"))
    wait_idle(page)
    refused = page.get_by_role("alert").filter(has_text="can't be added")
    widget(page, "upload_name").or_(refused).first.wait_for()
    if refused.count():
        return
    widget(page, "upload_name").locator("input").fill(name)
    click(page, "upload_save")


def no_traceback(page) -> None:
    assert_no_exception(page)
    text = page.locator("main").inner_text()
    assert "Traceback" not in text and ".py" not in text and str(REPO_ROOT) not in text


# --- 2. one text box ties up the server ---------------------------------------------------------------
def test_2_a_hundred_thousand_pasted_blocks_cost_one_error_and_no_server_time(browser, class_app):
    page = new_page(browser)
    try:
        open_train_form(page, class_app.url)
        choose(page, "train_model", "custom CNN")
        wait_idle(page)
        before = server_cpu_seconds(class_app)
        box = widget(page, "custom_filters").locator("input")
        box.fill(", ".join(["0"] * 100_000))  # as pasted (the websocket's way: tests/test_class_attacks.py)
        box.press("Enter")
        wait_idle(page)
        errors = page.locator('[data-testid="stAlertContentError"]')
        assert errors.count() <= 1, errors.all_inner_texts()[:5]  # the review's paste: one box per block
        assert len(box.input_value()) <= 64
        assert server_cpu_seconds(class_app) - before < 1.0  # the review's paste cost 5.7 s
        assert_no_exception(page)
    finally:
        page.context.close()


# --- 7. the teacher link leaks and cannot be revoked; 9. links in names and titles ---------------------
def test_7_the_teacher_link_leaves_the_address_and_a_new_one_ends_it(browser, class_app):
    url = class_app.url
    teacher = new_page(browser)
    try:
        teacher.goto(teacher_link(class_app))
        wait_idle(teacher)
        nav = teacher.locator('[data-testid="stSidebarNav"]')
        expect(nav.get_by_role("link", name="Class")).to_have_count(1)
        assert "teacher=" not in teacher.url  # not in the history, nor in a copied link
        navigate(teacher, "Leaderboard")
        navigate(teacher, "Class")
        assert "teacher=" not in teacher.url and "teacher=" not in teacher.content()
        old = teacher_link(class_app)
        new = nn_command(class_app, "class", "new-teacher-link", "--url", url).strip()
        assert new.startswith(f"{url}/class?teacher=") and new != old
        navigate(teacher, "Leaderboard")  # the next page of the old link's session
        expect(nav.get_by_role("link", name="Class")).to_have_count(0)
        for link, is_teacher in ((old, 0), (new, 1)):
            other = new_page(browser)
            other.goto(link)
            wait_idle(other)
            expect(other.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Class")
                   ).to_have_count(is_teacher)
            other.context.close()
        assert_no_exception(teacher)
    finally:
        teacher.context.close()


def test_9_a_name_and_a_title_that_look_like_addresses_are_shown_as_text(browser, class_app):
    """And 12: the teacher's Hide on a model its owner unpublished meanwhile is no traceback."""
    url = class_app.url
    ann, bob = student(browser, url, "www.example.com"), student(browser, url, "Bob")
    teacher = new_page(browser)
    try:
        train_and_save(ann, url, "ann-model")
        share(ann, url, "ann-model", "www.example.org")
        navigate(bob, "Leaderboard")
        select_row(bob, "leaderboard", "www.example.org")
        heading = bob.get_by_role("heading", name="by")
        assert heading.inner_text().replace(JOINER, "") == "www.example.org by www.example.com"
        for page in (ann, bob):
            links = page.locator("a[href*='example']")
            assert links.count() == 0, links.evaluate_all("els => els.map(e => e.parentElement.outerHTML)")
            assert_no_exception(page)

        teacher.goto(current_teacher_link(class_app))
        wait_idle(teacher)
        navigate(teacher, "Class")
        assert "www.example.org" in grid_texts(teacher, "class_models")
        click(ann, "unpublish_model")  # meanwhile, on Ann's Models page
        wait_idle(ann)
        click(teacher, "class_hide")
        see(teacher, "Nobody has shared a model yet")
        no_traceback(teacher)
    finally:
        for page in (ann, bob, teacher):
            page.context.close()


# --- 12. tracebacks with server paths ---------------------------------------------------------------
def test_12_an_upload_over_the_quota_is_a_sentence(browser, class_app):
    cem = student(browser, class_app.url, "Cem")
    try:
        folder = models_folder_of(cem, class_app)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "big.bin").write_bytes(b"\0" * (QUOTA_MB + 1) * 2**20)  # Cem keeps as much as one may
        upload_a_model(cem, "cems-upload")
        see(cem, f"the most one person may keep on this server is {QUOTA_MB} MB")
        no_traceback(cem)
    finally:
        cem.context.close()


# --- with a login: 1. a student becomes a teacher by login; 6. guests see names and impersonate -------
@pytest.fixture(scope="module")
def login_app(tmp_path_factory, oidc_provider):
    app = start_with_login(tmp_path_factory.mktemp("attacks-login"), oidc_provider,
                           {**PER_USER, "DIGITLAB_TRAIN_NEEDS_LOGIN": "1",
                            "DIGITLAB_TEACHERS": "mia@school.example"})
    yield app
    stop_app(app)


def test_1_an_email_claim_the_provider_did_not_verify_makes_no_teacher(browser, login_app, oidc_provider):
    set_claims(oidc_provider, "eve", {"email": "mia@school.example", "email_verified": False, "name": "Eve"})
    set_claims(oidc_provider, "mia", {"email": "mia@school.example", "email_verified": True, "name": "Mia"})
    eve = log_in(browser, login_app.url, "eve")
    try:
        expect(eve.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Class")).to_have_count(0)
        eve.goto(f"{login_app.url}/class")
        wait_idle(eve)
        assert widget(eve, "class_runs").count() == 0 and "Everyone's runs" not in eve.content()
    finally:
        eve.context.close()
    mia = log_in(browser, login_app.url, "mia")
    try:
        navigate(mia, "Class")
        see(mia, "Nobody has")
        assert_no_exception(mia)
    finally:
        mia.context.close()


def test_6_a_guest_sees_no_names_and_can_neither_name_itself_nor_keep_files(browser, login_app,
                                                                             oidc_provider):
    set_claims(oidc_provider, "bob", {"email": "bob@school.example", "email_verified": True,
                                      "name": "Bob Real"})
    bob = log_in(browser, login_app.url, "bob")
    guest = new_page(browser)
    try:
        train_and_save(bob, login_app.url, "bobs-model")
        share(bob, login_app.url, "bobs-model", "Bobs net")
        guest.goto(login_app.url)
        wait_idle(guest)
        assert widget(guest, "person_name").count() == 0  # nobody to be, nothing to be known by
        navigate(guest, "Leaderboard")
        cells = grid_texts(guest, "leaderboard")
        assert "Bobs net" in cells and "a classmate" in cells and "Bob Real" not in guest.content()
        upload_a_model(guest, "guests-upload")
        see(guest, "guests draw and look around; log in")
        assert not list((login_app.folder / "models").glob("workspaces/t-*/*.keras"))
        no_traceback(guest)
    finally:
        bob.context.close()
        guest.context.close()
