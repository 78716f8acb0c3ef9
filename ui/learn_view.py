"""The Learn page's frame: which lesson the address asks for, its controls (each written back
to the address, so that a link reproduces the state), the lesson itself (ui.lesson_views) and the
link to the next one."""

from __future__ import annotations

import streamlit as st

from nn import lesson_plan
from nn.lesson_plan import Lesson, Param
from ui import lesson_views
from ui.i18n import _, address_params
from ui.lesson_views import widget_key

OPENED_KEY = "learn_opened"  # the address this session's widgets were last set from


def show() -> None:
    opened = lesson_plan.opened({k: st.query_params[k] for k in st.query_params})
    for problem in opened.problems:
        st.warning(f"{problem[0].upper()}{problem[1:]}.", icon=":material/link_off:")  # nn's words: English
    lesson = choose_lesson(opened.lesson)
    if lesson is not opened.lesson:
        opened = lesson_plan.opened({"lesson": lesson.id})
    set_widgets_from(opened)
    st.header(_(lesson.title), anchor=False)
    values = lesson_views.VIEWS[lesson.id](opened.values, lambda p, column=st: control(lesson, p, column))
    st.query_params.from_dict({**lesson_plan.address(lesson, values), **address_params()})
    following = lesson_plan.next_of(lesson)
    if following is not None:
        link = {**lesson_plan.address(following, following.defaults()), **address_params()}
        query = "&".join(f"{k}={v}" for k, v in link.items())
        st.markdown(
            f"<a data-testid='next-lesson' href='?{query}' target='_self'>"
            + _("Next: {lesson} →").format(lesson=_(following.title)) + "</a>",
            unsafe_allow_html=True,
        )


def choose_lesson(asked: Lesson) -> Lesson:
    ids = [lesson.id for lesson in lesson_plan.LESSONS]
    titles = {lesson.id: f"{i}. {_(lesson.title)}" for i, lesson in enumerate(lesson_plan.LESSONS, 1)}
    if st.session_state.get("learn_lesson") not in ids or st.session_state.get(OPENED_KEY) != asked.id:
        st.session_state.learn_lesson = asked.id
    chosen = st.selectbox(_("Lesson"), ids, format_func=titles.get, key="learn_lesson")
    st.session_state[OPENED_KEY] = chosen
    return lesson_plan.BY_ID[chosen]


def set_widgets_from(opened: lesson_plan.Opened) -> None:
    """Each control starts at the address's value (a new session: a link opened)."""
    for param in opened.lesson.params:
        key = widget_key(opened.lesson, param)
        if key not in st.session_state:
            value = opened.values[param.name]
            st.session_state[key] = param.text(value).replace(",", ", ") if param.count else value


def labels() -> dict[str, str]:
    return {
        "input": _("Input"),
        "weight": _("Weight"),
        "weights": _("Weights"),
        "game": _("Game"),
        "goal": _("Goal"),
        "alpha": _("Alpha (learning rate)"),
        "steps": _("Steps"),
        "step": _("Hot and cold: step"),
        "image": _("Test image"),
        "digit": _("Digit (-1: its answer)"),
        "label": _("The right digit (-1: the image's)"),
        "kernel": _("Kernel"),
        "learned": _("Learned kernel"),
        "row": _("Output row (-1: the strongest)"),
        "col": _("Output column (-1: the strongest)"),
        "scores": _("Scores"),
        "true": _("The right class"),
    }


def control(lesson: Lesson, param: Param, column=st):
    """The widget of one value; a list that cannot be read is named and its default kept."""
    key, label = widget_key(lesson, param), labels().get(param.name, param.name)
    if param.choices:
        return column.selectbox(label, param.choices, key=key)
    if param.count:
        text = column.text_input(_("{label} (separated by commas)").format(label=label), key=key)
        try:
            return param.parse(text.replace(" ", ""))
        except ValueError as e:
            column.error(_("{label} must be {what}: the lesson uses {default}.").format(
                label=label, what=e, default=param.text(param.default)))
            return param.default
    if isinstance(param.default, int):
        return int(column.number_input(label, int(param.low), int(param.high), step=1, key=key))
    return float(
        column.number_input(
            label, float(param.low), float(param.high), step=_step(param), format="%g", key=key
        )
    )


def _step(param: Param) -> float:
    return 0.1 if param.high - param.low >= 5 else 0.01 if param.high - param.low >= 0.5 else 0.001
