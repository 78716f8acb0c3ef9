"""The Data sets page's working part: one's own data sets (nn.storage.own_datasets), made, drawn
into class by class, looked through, exported and imported. Training on them is the Train page's.
"""

from __future__ import annotations

import html
import tempfile
from pathlib import Path

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from nn import own_data
from nn.errors import DigitLabError
from nn.preprocess import IMAGE_EXTENSIONS, EmptyImageError
from nn.storage import class_rules
from nn.storage.own_datasets import OwnDataset, load_npy
from nn.storage.workspaces import class_datasets
from ui import charts, markdown
from ui.errors import sentence
from ui.i18n import _, n_
from ui.workspace import current, is_teacher

CANVAS = 280  # as the Draw page's: the same drawings, the same preprocessing
GRID_COLUMNS = 8
GRID_SHOWN = 48  # the newest of a class shown at once: a grid past that is a long page
FLASH_KEY = "own_flash"  # what the last action did, said once on the next run


def in_a_class() -> bool:
    return class_rules.mode() == class_rules.PER_USER


def sets_to_draw_into() -> list[OwnDataset]:
    """One's own sets, and in a class the class's."""
    return current().datasets().list() + (class_datasets().list() if in_a_class() else [])


def show() -> None:
    sets = sets_to_draw_into()
    left, right = st.columns([1, 2], gap="large")
    with left:
        chosen = choose_set(sets)
        create_form()
        import_form()
    if chosen is None:
        with right:
            st.info(_("Make a data set: a name and its classes (2 to 20, any names: ž, ✓, cat). Then "
                      "draw a few of each here, and train on it on the Train page."),
                    icon=":material/category:")
        return
    if chosen.of_class and is_teacher():
        with left:
            people(chosen)
    with right:
        st.fragment(collect)(own_data.name_of(chosen))
    manage(chosen)


def owner_of(own: OwnDataset) -> str | None:
    """Whose drawings one may change in `own`: in a class set one's own (the teacher: anyone's)."""
    return current().id if own.of_class and not is_teacher() else None


def title(own: OwnDataset) -> str:
    return own.name + (_(" (the class's)") if own.of_class else "")


def choose_set(sets: list[OwnDataset]) -> OwnDataset | None:
    if not sets:
        return None
    names = {s.id: title(s) for s in sets}
    if st.session_state.get("own_set") not in names:
        st.session_state.own_set = st.session_state.get("own_new") or sets[0].id
    chosen = st.selectbox(_("Data set"), list(names), format_func=names.get, key="own_set")
    return next(s for s in sets if s.id == chosen)


def create_form() -> None:
    with st.expander(_("New data set"), expanded=not current().datasets().list()):
        with st.form("new_set", clear_on_submit=False, border=False):
            name = st.text_input(_("Name"), max_chars=24, key="new_set_name",
                                 placeholder=_("Lithuanian letters"))
            classes = st.text_input(_("Classes, separated by commas"), key="new_set_classes",
                                    placeholder="ą, č, ę, š, ž")
            for_class = in_a_class() and is_teacher() and st.toggle(
                _("For the whole class"), key="new_set_for_class",
                help=_("Every student can add drawings to it; you see who drew what and hide what does "
                       "not belong. Models are tested on people they never saw."))
            if st.form_submit_button(_("Create"), icon=":material/add:"):
                store = class_datasets() if for_class else current().datasets()
                try:
                    made = store.create(name, [c for c in classes.split(",") if c.strip()])
                except DigitLabError as e:
                    st.error(sentence(e))
                    return
                st.session_state.own_new = made.id
                st.session_state.pop("own_set", None)
                st.session_state[FLASH_KEY] = _("Made {name} with {n} classes: draw into it.").format(
                    name=markdown.text(made.name), n=len(made.classes))
                st.rerun()


def import_form() -> None:
    with st.expander(_("Import a data set")):
        upload = st.file_uploader(_("A zip of a folder of images per class (an export of a set)"),
                                  type=["zip"], key="own_import")
        name = st.text_input(_("Its name here"), max_chars=24, key="own_import_name")
        if st.button(_("Import"), key="own_import_go", disabled=upload is None or not name.strip()):
            with tempfile.TemporaryDirectory(prefix="digitlab-") as tmp:
                path = Path(tmp) / "set.zip"
                path.write_bytes(upload.getvalue())
                try:
                    made = current().datasets().import_zip(path, name)
                except DigitLabError as e:
                    st.error(sentence(e))
                    return
            st.session_state.own_new = made.id
            st.session_state.pop("own_set", None)
            size = sum(made.counts().values())
            imported = n_("Imported {name}: {n} drawing.", "Imported {name}: {n} drawings.", size)
            st.session_state[FLASH_KEY] = imported.format(name=markdown.text(made.name), n=size)
            st.rerun()


def counts_html(counts: dict[str, int]) -> str:
    """Each class with its count, as bars: read by the tests (data-class, data-count)."""
    top = max(max(counts.values()), 1)
    rows = "".join(
        f"<div data-testid='own-count' data-class='{html.escape(name, quote=True)}' data-count='{n}' "
        "style='display:flex;align-items:center;gap:.5rem;margin:.1rem 0'>"
        f"<span style='min-width:4rem;font-weight:600'>{html.escape(name)}</span>"
        f"<span style='background:#4c78a8;height:.8rem;width:{8 * n / top:.2f}rem;border-radius:2px'></span>"
        f"<span>{n}</span></div>" for name, n in counts.items())
    return f"<div>{rows}</div>"


def collect(name: str) -> None:
    """Draw one drawing of a class at a time and add it; the counts beside."""
    own = own_data.own_set(current(), name)
    set_id = own.id
    if message := st.session_state.pop(FLASH_KEY, None):
        st.success(message, icon=":material/check:")
    label = st.segmented_control(_("Class"), list(own.classes), default=own.classes[0],
                                 key=f"own_class_{set_id}", format_func=markdown.text) or own.classes[0]
    shown = markdown.text(label)
    records = own.records(hidden_too=own.of_class and is_teacher())  # read once for this run
    counts = own.counts(records)
    canvas_side, counts_side = st.columns([3, 2], gap="medium")
    with canvas_side:
        stroke = st.slider(_("Stroke width"), 6, 40, 20, key="own_stroke")
        version = st.session_state.setdefault("own_canvas_version", 0)
        drawn = st_canvas(stroke_width=stroke, stroke_color="#FFFFFF", background_color="#000000",
                          height=CANVAS, width=CANVAS, drawing_mode="freedraw", return_image_data=True,
                          key=f"own-canvas-{version}")
        add, clear = st.columns(2)
        if add.button(_("Add to {name}").format(name=shown), key="own_add", type="primary",
                      icon=":material/add:"):
            try:
                if drawn.image_data is None:  # the canvas has not sent a drawing yet
                    raise EmptyImageError("there is nothing on the canvas yet")
                own.add(np.asarray(drawn.image_data), label, by=current().person, owner=adder(own))
            except EmptyImageError:
                st.warning(_("Draw a {name} on the black square first.").format(name=shown),
                           icon=":material/draw:")
            except DigitLabError as e:
                st.error(sentence(e))
            else:
                st.session_state[FLASH_KEY] = _("Added a {name} ({n} now).").format(
                    name=shown, n=counts[label] + 1)
                st.session_state.own_canvas_version = version + 1  # a fresh canvas for the next one
                st.rerun(scope="fragment")
        if clear.button(_("Clear"), key="own_clear", icon=":material/delete:"):
            st.session_state.own_canvas_version = version + 1
            st.rerun(scope="fragment")
    with counts_side:
        st.markdown("**" + _("Drawings per class") + "**")
        st.html(counts_html(counts))
        st.caption(_("Each class needs at least 5 to train on; 25 or more read better."))
        upload_into(own, label)
    grid(own, label, records)


def add_from_draw_page(original, model_dataset: str, answered: str | None) -> None:
    """The Draw page's drawing added to a set one may draw into: the answering model's own set and
    the class it answered come first, so a wrong answer is put right in two clicks."""
    sets = {own_data.name_of(s): s for s in sets_to_draw_into()}
    if not sets:
        return
    with st.expander(_("Add to a data set")):
        names = list(sets)
        chosen = sets[st.selectbox(_("Data set"), names, key="draw_set",
                                   index=names.index(model_dataset) if model_dataset in sets else 0,
                                   format_func=lambda n: title(sets[n]))]
        classes = list(chosen.classes)
        label = st.selectbox(_("Class"), classes, index=classes.index(answered) if answered in classes else 0,
                             key=f"draw_set_class_{chosen.id}", format_func=markdown.text)
        if st.button(_("Add to {name}").format(name=markdown.text(label)), key="draw_add_to_set",
                     icon=":material/add:"):
            try:
                chosen.add(np.asarray(original), label, by=current().person, owner=adder(chosen))
            except DigitLabError as e:
                st.error(sentence(e))
            else:
                st.success(_("Added a {name} to {set} ({n} now).").format(
                    name=markdown.text(label), set=markdown.text(chosen.name), n=chosen.counts()[label]),
                    icon=":material/check:")


def upload_into(own: OwnDataset, label: str) -> None:
    """Images (or a Quick, Draw! .npy array) added to the chosen class."""
    files = st.file_uploader(_("Or add images to {name}").format(name=markdown.text(label)),
                             type=[*IMAGE_EXTENSIONS, "npy"], accept_multiple_files=True,
                             key=f"own_files_{own.id}")
    if files and st.button(n_("Add {n} file to {name}", "Add {n} files to {name}", len(files)).format(
            n=len(files), name=markdown.text(label)), key="own_add_files"):
        added = 0
        try:
            for upload in files:
                if upload.name.lower().endswith(".npy"):
                    added += len(own.add_small(npy_array(upload.getvalue()), label, by=current().person,
                                               owner=adder(own)))
                else:
                    own.add_file(upload.getvalue(), label, by=current().person, owner=adder(own))
                    added += 1
        except DigitLabError as e:
            st.error(f"{markdown.text(upload.name)}: {sentence(e)}")
        if added:
            st.session_state[FLASH_KEY] = n_("Added {n} drawing to {name}.", "Added {n} drawings to {name}.",
                                             added).format(n=added, name=markdown.text(label))
            st.rerun(scope="fragment")


def adder(own: OwnDataset) -> str:
    """Who adds to `own`, recorded in a class set (whose drawing it is)."""
    return current().id if own.of_class else ""


def npy_array(data: bytes) -> np.ndarray:
    with tempfile.TemporaryDirectory(prefix="digitlab-") as tmp:
        path = Path(tmp) / "images.npy"
        path.write_bytes(data)
        return load_npy(path)


def grid(own: OwnDataset, label: str, records: list[dict]) -> None:
    """A class's drawings as the network reads them (28x28), newest first; tick some to delete
    them or move them to another class. In a class set a student sees only their own; the
    teacher sees everyone's, hidden ones too, and hides or shows them."""
    teacher, owner = own.of_class and is_teacher(), owner_of(own)
    records = [r for r in records if r["class"] == label and (teacher or not r.get("hidden"))
               and (owner is None or r.get("owner") == owner)][::-1]
    heading = _("**Your drawings of {name}** ({n}), as the network sees them") if owner \
        else _("**The drawings of {name}** ({n}), as the network sees them")
    st.markdown(heading.format(name=markdown.text(label), n=len(records)))
    if not records:
        st.caption(_("None yet."))
        return
    shown = records[:GRID_SHOWN]
    picked = []
    for start in range(0, len(shown), GRID_COLUMNS):
        for record, column in zip(shown[start:start + GRID_COLUMNS], st.columns(GRID_COLUMNS)):
            with column:
                st.image(charts.pixels(own.image28(record["id"])), width=84,
                         caption=_("hidden") if record.get("hidden") else None)
                if st.checkbox(markdown.text(record.get("by") or "—"), key=f"own_pick_{record['id']}"):
                    picked.append(record["id"])
    if len(records) > GRID_SHOWN:
        st.caption(_("The newest {shown} of {n}.").format(shown=GRID_SHOWN, n=len(records)))
    if teacher:
        h1, h2, _spare = st.columns([1, 1, 2])
        for button, hidden, key in ((h1, True, "own_hide"), (h2, False, "own_unhide")):
            said = _("Hide {n}") if hidden else _("Show again {n}")
            if button.button(said.format(n=len(picked)), key=key, disabled=not picked,
                             help=_("Hidden drawings leave training and testing; they are kept for the "
                                    "record.")):
                for drawing_id in picked:
                    own.hide(drawing_id, hidden)
                st.rerun(scope="fragment")
    others = [c for c in own.classes if c != label]
    c1, c2, c3 = st.columns([1, 1, 2], vertical_alignment="bottom")
    target = c2.selectbox(_("Move to"), others, key="own_move_to", format_func=markdown.text)
    if c1.button(_("Delete {n}").format(n=len(picked)), key="own_delete", disabled=not picked,
                 icon=":material/delete:"):
        for drawing_id in picked:
            own.delete(drawing_id, owner)
        st.rerun(scope="fragment")
    if c3.button(_("Move {n} to {name}").format(n=len(picked), name=markdown.text(target or "")),
                 key="own_move",
                 disabled=not picked or target is None):
        for drawing_id in picked:
            own.move(drawing_id, target, owner)
        st.rerun(scope="fragment")


def zipped(own: OwnDataset) -> bytes:
    with tempfile.TemporaryDirectory(prefix="digitlab-") as tmp:
        return own.export(Path(tmp) / "set.zip").read_bytes()


def people(own: OwnDataset) -> None:
    """For the teacher of a class set: who drew how many of each class."""
    st.markdown("**" + _("Drawings per person") + "**")
    table = [{_("person"): person, **counts, _("all"): sum(counts.values())}
             for person, counts in sorted(own.counts_by_person().items())]
    st.container(key="own_people").table(table)  # a few rows: read at a glance, and by the tests


def manage(own: OwnDataset) -> None:
    if own.of_class and not is_teacher():
        return  # the class's set is the teacher's to export or delete
    with st.expander(_("Export or delete this data set")):
        st.download_button(_("Download as a zip"), lambda: zipped(own), file_name=f"{own.name}.zip",
                           mime="application/zip", key="own_export", icon=":material/download:")
        size = sum(own.counts().values())
        sure = n_("Yes, delete {name} and its {n} drawing", "Yes, delete {name} and its {n} drawings", size)
        sure = st.checkbox(sure.format(name=markdown.text(own.name), n=size), key="own_delete_sure")
        if st.button(_("Delete the data set"), key="own_delete_set", disabled=not sure):
            (class_datasets() if own.of_class else current().datasets()).remove(own.name)
            st.session_state.pop("own_set", None)
            st.rerun()
