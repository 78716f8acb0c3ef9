"""Whose workspace this browser session works in: one for everybody on a laptop; on a shared
server (DIGITLAB_WORKSPACES=per-user) the logged-in person's, or a private one named by an
unguessable token in the page's address."""

from __future__ import annotations

import streamlit as st

from nn.storage import workspaces
from nn.storage.workspaces import Workspace

TOKEN_PARAM = "workspace"
TOKEN_KEY = "workspace_token"


def login_configured() -> bool:
    """Streamlit's own login (st.login) is set up in secrets.toml."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:
        return False


def current() -> Workspace:
    """The session's workspace. In per-user mode without a login, keeps the token in the URL."""
    if workspaces.mode() == workspaces.SINGLE:
        return workspaces.LOCAL_WORKSPACE
    if login_configured():
        if st.user.is_logged_in:
            return workspaces.from_login(str(st.user.get("iss") or ""), str(st.user.get("sub") or ""))
        if not workspaces.train_needs_login():  # the login is for everything
            _ask_to_log_in()
    return _token_workspace()  # no login, or a guest who may draw and look but not train


def logged_in() -> bool:
    return login_configured() and bool(st.user.is_logged_in)


def _token_workspace() -> Workspace:
    token = st.session_state.get(TOKEN_KEY) or st.query_params.get(TOKEN_PARAM)
    if not workspaces.is_issued(token):  # made up, mistyped, or not this server's
        token = workspaces.new_token()
    st.session_state[TOKEN_KEY] = token
    if st.query_params.get(TOKEN_PARAM) != token:  # page links drop it: put it back
        st.query_params[TOKEN_PARAM] = token
    return workspaces.from_token(token)


def _ask_to_log_in() -> None:
    st.title("Digit Lab")
    st.write("Log in to train, draw and keep your models: your work is kept in your own workspace.")
    st.button("Log in", key="login", type="primary", icon=":material/login:", on_click=st.login)
    st.stop()


def sidebar_note() -> None:
    """Tell the person whose workspace this is and how to come back to it."""
    if workspaces.mode() == workspaces.SINGLE:
        return
    with st.sidebar:
        if logged_in():
            name = st.user.get("name") or st.user.get("email") or st.user.get("sub")
            st.caption(f"Signed in as **{name}**; your models, drawings and runs are yours alone.")
            st.button("Log out", key="logout", icon=":material/logout:", on_click=st.logout)
        elif login_configured():  # a guest: training needs a login (DIGITLAB_TRAIN_NEEDS_LOGIN)
            st.caption("You can draw and look around as a guest; log in to train and keep your own "
                       "models.")
            st.button("Log in", key="login", icon=":material/login:", on_click=st.login)
        else:
            st.caption("Your models, drawings and runs are kept in a private workspace. "
                       "**Bookmark this page** (its address ends in ?workspace=…) to come back "
                       "to them; anyone with that address can open them.")
