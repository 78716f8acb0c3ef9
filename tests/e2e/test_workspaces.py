"""Per-user workspaces in Chromium: nobody sees, opens or uses another person's runs, models or
drawings. Without a login each browser gets a private address; with Streamlit's own login (here
against a local OpenID Connect provider, oidc-provider-mock, on loopback) each person's login is
their workspace."""

from __future__ import annotations

import json
import secrets
import urllib.request
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
    save_drawing_as,
    see,
    wait_idle,
    widget,
)
from harness.server import free_port, start_app, stop_app
from harness.strokes import canvas_box, draw_digit, drawing_layer

PER_USER = {"DIGITLAB_WORKSPACES": "per-user"}


def train_and_save(page, url: str, name: str) -> None:
    open_train_form(page, url)
    choose(page, "train_model", "sigmoid-10")
    wait_idle(page)
    fill_number(page, "train_subset", 1000)
    wait_idle(page)
    fill_number(page, "train_epochs", 1)
    wait_idle(page)
    click(page, "train_start")
    expect(widget(page, "save_model")).to_be_visible(timeout=120_000)
    widget(page, "save_name").locator("input").fill(name)
    click(page, "save_model")
    wait_idle(page)
    see(page, f"Saved as {name}")


def draw_and_keep(page, digit: int) -> None:
    navigate(page, "Draw")
    draw_digit(page, canvas_box(page), digit, 200, 40, 40)
    wait_idle(page)
    save_drawing_as(page, digit)


def sees_nothing_of(page, name: str) -> None:
    """On this person's pages: no run, no model `name`, no drawings."""
    navigate(page, "Train")
    assert widget(page, "runs_table").count() == 0  # no runs at all: the form opens
    expect(widget(page, "train_start")).to_be_visible()
    navigate(page, "Models")
    assert name not in grid_texts(page, "models_table")
    navigate(page, "Evaluate")
    assert "my drawings" not in widget(page, "eval_split").inner_text()


def token(page) -> str:
    return parse_qs(urlparse(page.url).query)["workspace"][0]


@pytest.fixture(scope="module")
def per_user_app(tmp_path_factory):
    app = start_app(tmp_path_factory.mktemp("per-user"), env=PER_USER)
    yield app
    stop_app(app)


def test_two_browsers_without_a_login_have_private_workspaces(browser, per_user_app):
    url = per_user_app.url
    ann, bob = new_page(browser), new_page(browser)
    try:
        ann.goto(url)
        wait_idle(ann)
        ann_token = token(ann)
        train_and_save(ann, url, "ann-model")
        draw_and_keep(ann, 7)
        assert token(ann) == ann_token  # the address keeps the workspace from page to page
        assert "Bookmark this page" in ann.locator('[data-testid="stSidebar"]').inner_text()

        bob.goto(url)
        wait_idle(bob)
        assert token(bob) != ann_token and ann_token not in bob.content()
        sees_nothing_of(bob, "ann-model")

        bob.goto(f"{url}/models?workspace=not-a-token")  # a made-up address gets a new workspace
        wait_idle(bob)
        assert token(bob) not in (ann_token, "not-a-token")

        again = new_page(browser)  # ann's bookmark, in a new browser
        again.goto(f"{url}/models?workspace={ann_token}")
        wait_idle(again)
        assert "ann-model" in grid_texts(again, "models_table")
        again.context.close()
        for page in (ann, bob):
            assert_no_exception(page)
    finally:
        ann.context.close()
        bob.context.close()


def set_claims(oidc_provider: str, sub: str, claims: dict) -> None:
    """What the provider says of `sub` from now on (oidc-provider-mock's PUT /users/<sub>)."""
    request = urllib.request.Request(f"{oidc_provider}/users/{sub}", data=json.dumps(claims).encode(),
                                     method="PUT", headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).close()


def start_with_login(folder, oidc_provider: str, env: dict):
    """The app in per-user mode with Streamlit's login against the local provider."""
    port = free_port()
    secrets_file = folder / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
        'client_id = "digitlab"\nclient_secret = "digitlab-secret"\n'
        f'server_metadata_url = "{oidc_provider}/.well-known/openid-configuration"\n')
    return start_app(folder, env=env, secrets=secrets_file, port=port)


@pytest.fixture(scope="module")
def login_app(tmp_path_factory, oidc_provider):
    app = start_with_login(tmp_path_factory.mktemp("login"), oidc_provider, PER_USER)
    yield app
    stop_app(app)


@pytest.fixture(scope="module")
def guests_app(tmp_path_factory, oidc_provider):
    app = start_with_login(tmp_path_factory.mktemp("guests"), oidc_provider,
                           {**PER_USER, "DIGITLAB_TRAIN_NEEDS_LOGIN": "1"})
    yield app
    stop_app(app)


def log_in(browser, url: str, who: str, page=None, button: str = "login"):
    if page is None:
        page = new_page(browser)
        page.goto(url)
        wait_idle(page)
    click(page, button)
    page.locator("input[name=sub]").fill(who)  # the provider's own login form
    page.get_by_role("button", name="Authorize").click()
    page.get_by_role("heading", name="Draw").first.wait_for()
    wait_idle(page)
    return page


def test_two_people_logging_in_get_their_own_workspaces(browser, login_app):
    url = login_app.url
    ann = log_in(browser, url, "ann@school.example")
    try:
        assert "Signed in as" in ann.locator('[data-testid="stSidebar"]').inner_text()
        assert "workspace=" not in ann.url  # the login is the workspace: no token in the address
        train_and_save(ann, url, "ann-login-model")
        draw_and_keep(ann, 3)
    finally:
        ann.context.close()
    bob = log_in(browser, url, "bob@school.example")
    try:
        sees_nothing_of(bob, "ann-login-model")
        assert_no_exception(bob)
    finally:
        bob.context.close()
    ann = log_in(browser, url, "ann@school.example")  # ann again, in a new browser: all hers
    try:
        navigate(ann, "Models")
        assert "ann-login-model" in grid_texts(ann, "models_table")
        navigate(ann, "Train")
        assert any("sigmoid-10 on mnist" in cell for cell in grid_texts(ann, "runs_table"))
        assert_no_exception(ann)
    finally:
        ann.context.close()


def test_where_training_needs_a_login_a_guest_draws_and_logs_in_to_train(browser, guests_app):
    """DIGITLAB_TRAIN_NEEDS_LOGIN=1: no login asked to draw; the Train page asks for one instead of
    a form, and after it the person trains in their login's workspace."""
    url = guests_app.url
    guest = new_page(browser)
    try:
        guest.goto(url)
        drawing_layer(guest).wait_for()  # the Draw page, no login
        draw_digit(guest, canvas_box(guest), 1, 200, 40, 40)
        guest.get_by_test_id("answer").first.wait_for()  # read by the bundled model
        assert "workspace=" in guest.url
        navigate(guest, "Train")
        see(guest, "Training on this server needs a login")
        assert widget(guest, "train_start").count() == 0
        log_in(browser, url, "cem@school.example", page=guest, button="login_to_train")
        assert "Signed in as" in guest.locator('[data-testid="stSidebar"]').inner_text()
        train_and_save(guest, url, "cem-model")
        assert_no_exception(guest)
    finally:
        guest.context.close()
