"""The Learn page in Chromium: every lesson by its address, a value changed and written back to the
address, and that address opened anew showing the same state."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from bench.learn import CHANGES
from harness.browser import assert_no_exception, grid_texts, see, wait_idle, widget
from nn import lesson_plan


def result(page, key: str):
    return page.locator(f"[data-testid='lesson-result'][data-key='{key}']")


@pytest.mark.parametrize("lesson", [lesson.id for lesson in lesson_plan.LESSONS])
def test_every_lesson_opens_by_its_address_and_a_changed_value_is_a_link(page, app_url, lesson):
    """Each lesson by its address; one of its values changed (bench.learn.CHANGES), the result
    moving and the address with it; that address opened anew shows the same result."""
    name, new, key = CHANGES[lesson]
    page.goto(f"{app_url}/learn?lesson={lesson}")
    wait_idle(page)
    expect(page.get_by_role("heading", name=lesson_plan.BY_ID[lesson].title)).to_be_visible()
    expect(result(page, key)).to_be_visible(timeout=30_000)
    see(page, "Try this:")
    before = result(page, key).get_attribute("data-value")
    box = widget(page, f"learn_{lesson.replace('-', '_')}_{name}").locator("input")
    box.fill(new)
    box.press("Enter")
    expect(result(page, key)).not_to_have_attribute("data-value", before)
    expect(page).to_have_url(re.compile(rf"[?&]{name}={re.escape(new)}(&|$)"))
    changed = result(page, key).get_attribute("data-value")
    other = page.context.new_page()
    try:
        other.goto(page.url)
        wait_idle(other)
        expect(result(other, key)).to_have_attribute("data-value", changed)
        assert_no_exception(other)
    finally:
        other.close()
    assert_no_exception(page)


def test_the_lectures_numbers_a_changed_value_and_its_address_opened_anew(page, app_url, browser):
    page.goto(f"{app_url}/learn?lesson=gradient-descent&weight=0.5&goal=0.8&input=0.5&alpha=1&steps=20")
    wait_idle(page)
    cells = grid_texts(page, "gd_table")
    assert {"3.025e-01", "0.250000", "0.775000"} <= set(cells), cells[:12]  # the lecture's first row
    assert result(page, "weight").get_attribute("data-value").startswith("1.5965")  # the lecture's 1.596512

    alpha = widget(page, "learn_gradient_descent_alpha").locator("input")
    alpha.fill("9")
    alpha.press("Enter")
    wait_idle(page)
    see(page, "It diverges")
    expect(page).to_have_url(re.compile(r"[?&]alpha=9(&|$)"))
    address = page.url

    other = page.context.new_page()
    try:
        other.goto(address)
        wait_idle(other)
        see(other, "It diverges")
        expect(widget(other, "learn_gradient_descent_alpha").locator("input")).to_have_value("9")
        assert result(other, "weight").get_attribute("data-value") == result(page, "weight").get_attribute(
            "data-value"
        )
        assert_no_exception(other)
    finally:
        other.close()


def test_a_bad_address_says_what_it_took_instead(page, app_url):
    page.goto(f"{app_url}/learn?lesson=gradient-descent&alpha=fast")
    wait_idle(page)
    see(page, "Alpha must be a number, not 'fast'")
    expect(widget(page, "learn_gradient_descent_alpha").locator("input")).to_have_value("1")
    page.goto(f"{app_url}/learn?lesson=no-such-lesson")
    wait_idle(page)
    see(page, "There is no lesson 'no-such-lesson'")
    expect(page.get_by_role("heading", name="One weight")).to_be_visible()
    assert_no_exception(page)


def test_backprop_steps_on_a_click_and_the_address_counts_them(page, app_url):
    page.goto(f"{app_url}/learn?lesson=backprop&image=0&label=3&steps=1")
    wait_idle(page)
    first = result(page, "error").get_attribute("data-value")
    widget(page, "learn_backprop_step").locator("button").click()
    wait_idle(page)
    expect(page).to_have_url(re.compile(r"[?&]steps=2(&|$)"))
    expect(result(page, "error")).not_to_have_attribute("data-value", first)  # it learned: another error
    see(page, "The goal is a 3")
    assert_no_exception(page)
