"""Whose workspace this browser session works in: one for everybody on a laptop; on a shared
server (DIGITLAB_WORKSPACES=per-user) the logged-in person's, or a private one named by an
unguessable token in the page's address."""

from __future__ import annotations

import streamlit as st

from nn import words
from nn.storage import class_rules, teachers, tokens, workspaces
from nn.storage.workspaces import Workspace, WorkspaceError
from ui import markdown
from ui.errors import reason
from ui.i18n import _

TOKEN_PARAM = "workspace"
TOKEN_KEY = "workspace_token"
TEACHER_KEY = "teacher_token"
NAMED_KEY = "person_named"  # this session has written the login's name to the workspace


def login_configured() -> bool:
    """Streamlit's own login (st.login) is set up in secrets.toml."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:
        return False


def current() -> Workspace:
    """The session's workspace. In per-user mode without a login, keeps the token in the URL."""
    if class_rules.mode() == class_rules.SINGLE:
        return workspaces.LOCAL_WORKSPACE
    if login_configured():
        if st.user.is_logged_in:
            workspace = tokens.from_login(str(st.user.get("iss") or ""), str(st.user.get("sub") or ""))
            _name_from_login(workspace)
            return workspace
        if not class_rules.train_needs_login():  # the login is for everything
            _ask_to_log_in()
    return _token_workspace()  # no login, or a guest who may draw and look but not train


def _name_from_login(workspace: Workspace) -> None:
    """The class knows a logged-in person by their login's name (kept for the teacher's page and
    the command line, which have no session of theirs)."""
    name = str(st.user.get("name") or st.user.get("email") or "").strip()
    if name and not st.session_state.get(NAMED_KEY) and workspace.person != name:
        try:
            workspace.set_person(name[:workspaces.MAX_PERSON_NAME])
        except WorkspaceError:
            pass  # a name the class cannot show: they keep their short code
    st.session_state[NAMED_KEY] = True


def is_teacher() -> bool:
    """On a class's server: a login listed in DIGITLAB_TEACHERS with a verified e-mail, or a session
    opened with the server's teacher link. The link's secret leaves the address at once (it would
    land in the history and in every link the teacher copies) and is checked again on every page,
    so a new link (`nn class new-teacher-link`) ends the sessions of the old one."""
    if class_rules.mode() != class_rules.PER_USER:
        return False
    if logged_in() and teachers.is_teacher_login(st.user.get("email"), st.user.get("email_verified")):
        return True
    given = st.query_params.get(teachers.PARAM)
    if given is not None:
        del st.query_params[teachers.PARAM]
        if teachers.is_teacher_token(given):
            st.session_state[TEACHER_KEY] = given
    token = st.session_state.get(TEACHER_KEY)
    if token and not teachers.is_teacher_token(token):
        del st.session_state[TEACHER_KEY]
        return False
    return bool(token)


def logged_in() -> bool:
    return login_configured() and bool(st.user.is_logged_in)


def _token_workspace() -> Workspace:
    token = st.session_state.get(TOKEN_KEY) or st.query_params.get(TOKEN_PARAM)
    if not tokens.is_issued(token):  # made up, mistyped, or not this server's
        try:
            token = tokens.issue_token()
        except WorkspaceError as e:
            st.title("Digit Lab")
            st.warning(_("No new workspace now: {why}.").format(why=reason(e)),
                       icon=":material/hourglass_top:")
            st.stop()
    st.session_state[TOKEN_KEY] = token
    if st.query_params.get(TOKEN_PARAM) != token:  # page links drop it: put it back
        st.query_params[TOKEN_PARAM] = token
    return tokens.from_token(token)


def _ask_to_log_in() -> None:
    st.title("Digit Lab")
    st.write(_("Log in to train, draw and keep your models: your work is kept in your own workspace."))
    st.button(_("Log in"), key="login", type="primary", icon=":material/login:", on_click=st.login)
    st.stop()


def sidebar_note() -> None:
    """Tell the person whose workspace this is and how to come back to it."""
    if class_rules.mode() == class_rules.SINGLE:
        return
    with st.sidebar:
        if logged_in():
            name = st.user.get("name") or st.user.get("email") or st.user.get("sub")
            st.caption(_("Signed in as **{name}**; your models, drawings and runs are yours alone.").format(
                name=markdown.text(name)))
            st.button(_("Log out"), key="logout", icon=":material/logout:", on_click=st.logout)
        elif login_configured():  # a guest: training needs a login (DIGITLAB_TRAIN_NEEDS_LOGIN)
            st.caption(_("You can draw and look around as a guest; log in to train and keep your own "
                         "models."))
            st.button(_("Log in"), key="login", icon=":material/login:", on_click=st.login)
        else:
            st.caption(_("Your models, drawings and runs are kept in a private workspace. "
                         "**Bookmark this page** (its address ends in ?workspace=…) to come back "
                         "to them; anyone with that address can open them."))
        if not login_configured():  # with a login, the class knows people by their login's name
            _class_name()


def _class_name() -> None:
    """Without a login, a person chooses once the name the class sees (else a short code)."""
    workspace = current()
    if workspace.has_name():
        person = workspace.person
        st.caption(_("The class knows you as **{name}**{stop}").format(name=markdown.text(person),
                                                                        stop=words.full_stop(person)))
        return
    with st.form("class_name", border=False):
        name = st.text_input(_("Your name in the class"), key="person_name",
                             max_chars=workspaces.MAX_PERSON_NAME, placeholder=workspace.person,
                             help=_("Shown with the models you share and to your teacher. You choose it "
                                    "once."))
        if st.form_submit_button(_("Keep this name")) and name.strip():
            try:
                workspace.set_person(name)
            except WorkspaceError as e:
                st.error(reason(e))
                return
            st.rerun()
