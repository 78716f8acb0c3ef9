"""What a newcomer trips over in the first hour (issue 34), each held in Chromium: the active
model belongs to the workspace, so it is the same after a reload and in a new tab, and choosing
one says so."""

from __future__ import annotations

from playwright.sync_api import expect

from harness.browser import (
    assert_no_exception,
    choose,
    new_page,
    see,
    select_row,
    selected,
    wait_idle,
    widget,
)


def test_the_active_model_stays_after_a_reload_and_in_a_new_tab(browser, page, app_url):
    page.goto(f"{app_url}/models")
    wait_idle(page)
    select_row(page, "models_table", "mnist-dense-128")
    see(page, "Bundled models cannot be deleted")  # beside the greyed-out Delete, not on hover only
    widget(page, "load_model").locator("button").first.click()
    see(page, "is the active model: Draw and Evaluate use it")
    wait_idle(page)
    assert selected(page, "active_model").startswith("mnist-dense-128")
    page.reload()
    wait_idle(page)
    assert selected(page, "active_model").startswith("mnist-dense-128")
    other = new_page(browser)
    try:
        other.goto(app_url)
        wait_idle(other)
        assert selected(other, "active_model").startswith("mnist-dense-128")
        choose(other, "active_model", "mnist-cnn-best", exact=False)  # the sidebar keeps it too
        wait_idle(other)
        page.goto(f"{app_url}/evaluate")
        wait_idle(page)
        assert selected(page, "active_model").startswith("mnist-cnn-best")
        assert_no_exception(other)
    finally:
        other.context.close()
    assert_no_exception(page)


def test_a_bad_upload_is_refused_at_once_by_its_own_name_and_the_limits_read_as_the_box(page, app_url,
                                                                                       tmp_path):
    from nn.storage.paths import BUNDLED_MODELS_DIR

    bad = tmp_path / "my first net.keras"
    bad.write_bytes(b"not a zip at all")
    page.goto(f"{app_url}/models")
    wait_idle(page)
    upload = widget(page, "upload_model")
    label = upload.locator("label").first.inner_text()
    assert ".keras and .npmlp at most 50 MB" in label and ".skops at most 60 MB" in label
    upload.locator('input[type="file"]').set_input_files(str(bad))
    refusal = page.get_by_role("alert").filter(has_text="can't be added")
    refusal.wait_for()  # under the box, before anything is pressed: there is nothing to press
    assert "my_first_net.keras" in refusal.inner_text() and "upload.keras" not in refusal.inner_text()
    expect(widget(page, "upload_save")).to_have_count(0)
    good = tmp_path / "my first net (2).keras"
    good.write_bytes((BUNDLED_MODELS_DIR / "mnist-dense-128.keras").read_bytes())
    upload.locator('input[type="file"]').set_input_files(str(good))
    expect(widget(page, "upload_save")).to_be_visible(timeout=120_000)  # it passed its trial
    expect(widget(page, "upload_name").locator("input")).to_have_value("my_first_net_2")  # a name it takes
    assert_no_exception(page)


def test_compare_with_offers_models_of_the_same_data_set_in_rows_that_line_up(page, app_url):
    from harness.strokes import draw_on_canvas

    page.goto(app_url)
    wait_idle(page)
    draw_on_canvas(page, 0, 4, 200, 40, 40)
    wait_idle(page)
    widget(page, "compare_models").locator("input").click()
    offered = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    assert offered and "fashion-cnn-wide" not in " ".join(offered)  # a clothing model answers "Bag"
    assert {"mnist-dense-128", "mnist-dense-best"} <= {o.strip() for o in offered}
    for name in ("mnist-dense-128", "mnist-dense-best"):
        choose(page, "compare_models", name)
    page.keyboard.press("Escape")
    wait_idle(page)
    answers = page.get_by_test_id("answer")
    expect(answers).to_have_count(3)
    widths = {round(answers.nth(i).bounding_box()["width"]) for i in range(3)}
    assert len(widths) == 1 and widths.pop() > 150  # one width each, room for names and bars
    assert_no_exception(page)


def test_the_train_form_shows_a_learning_rate_as_written(page, app_url):
    from harness.browser import open_train_form

    open_train_form(page, app_url)
    choose(page, "train_model", "dense-128")
    wait_idle(page)
    shown = widget(page, "train_lr").locator("input").input_value()
    assert shown in ("0.001", "0.01", "0.1", "0.0001"), shown  # not "0.00100"
    assert_no_exception(page)
