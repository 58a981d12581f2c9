"""The app's login gate: who is logged in to this browser session, the login page, log-out.

Who may log in, and as what, is the users file (usecases.users); password logins are
throttled and audited in the database (usecases.login). This module is the Streamlit part.

Local admin (first run, no set-up)
    Allowed only while the users file holds no local user and no OIDC mapping, *and* the
    server is bound to a loopback address. The address is the one Streamlit actually binds:
    ``st.get_option("server.address")`` (``callqa app --address`` passes it as
    ``--server.address``). Unset means all interfaces, so it requires a login, as does a
    Unix socket. A reverse proxy in front of a loopback-bound app makes it public: add a
    user first.

OIDC
    When Streamlit's auth is configured (an ``[auth]`` section in ``.streamlit/secrets.toml``,
    looked up from the directory ``callqa app`` runs in, or ``~/.streamlit/``), the login
    page offers ``st.login()`` (needs the ``Authlib`` package). A logged-in identity gets
    the role its e-mail has under ``[roles]``; unknown identities, and e-mails the provider
    marks unverified, get no access.

Sessions
    A local login lasts for the browser session (Streamlit keeps it server-side per tab): a
    reload or a new tab asks again. OIDC logins live in Streamlit's auth cookie. Every run
    re-reads the users file, so a removed user or a changed role takes effect at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from qa_app.mdtext import md
from usecases.login import LOGIN_FAILED, LoginUnavailable, audit_logout, authenticate
from usecases.users import LOCAL_ADMIN, User, UsersFileError, load, local_admin_allowed, oidc_user, users_path

_SESSION_USER = "callqa_auth_user"  # local user name after a successful password login
_CURRENT = "callqa_current_user"  # the User resolved by this run's gate, for pages
LOGIN_EMPTY = "Enter your user name and password."


def client_address() -> str:
    """The browser's address as Streamlit saw the websocket (None, i.e. '', for localhost).

    Behind a reverse proxy this is the proxy's address, so every client shares one address
    bucket there; the per-name limits still hold for each name.
    """
    import streamlit as st

    try:
        address = st.context.ip_address
    except Exception:  # no client context (bare mode)
        return ""
    return address if isinstance(address, str) else ""  # AppTest hands out a mock client


def server_address() -> str | None:
    import streamlit as st

    return st.get_option("server.address")


def oidc_providers() -> list[str | None]:
    """Configured ``st.login`` providers: None for the default ``[auth]`` one, else ``[auth.NAME]`` names."""
    import streamlit as st

    try:
        section = st.secrets.get("auth")
    except Exception:  # no secrets file at all
        return []
    if not section:
        return []
    providers: list[str | None] = [None] if "client_id" in section else []
    providers += [str(k) for k, v in section.items() if hasattr(v, "keys") and "client_id" in v]
    return providers


def _oidc_claims() -> dict | None:
    import streamlit as st

    claims = st.user.to_dict()
    return claims if claims.get("is_logged_in") is True else None  # never trust e-mail alone


def current_user() -> User | None:
    """The user this run's gate let in (None before the gate ran or when nobody is logged in)."""
    import streamlit as st

    user = st.session_state.get(_CURRENT)
    return user if isinstance(user, User) else None


def gate(*, sidebar: bool = True, banner: bool = True) -> User:
    """The logged-in user, or the login page and ``st.stop()``. Call before anything else is drawn.

    Draws the local-admin banner (``banner``) and the sidebar's "signed in as" and log-out
    button (``sidebar``). Cheap when logged in: it re-reads the users file, no hashing.
    """
    import streamlit as st

    path = users_path()
    try:
        store = load(path)
    except UsersFileError as err:
        _stop_with(st.error, f"{err}. Fix or remove the file; the app does not run without it.")
    providers = oidc_providers()
    user: User | None = None
    claims = _oidc_claims() if providers else None
    if claims is not None:
        user = oidc_user(store, claims)
        if user is None:
            st.session_state.pop(_CURRENT, None)
            who = claims.get("email") or claims.get("name") or "this account"
            st.error(f"{md(who)} has no access to callqa. Ask an administrator to grant a role "
                     f"({md('callqa users add ' + (claims.get('email') or 'EMAIL') + ' --sso --role reviewer')}).")
            if st.button("Log out", key="callqa_logout_denied"):
                st.logout()
            st.stop()
    elif name := st.session_state.get(_SESSION_USER):
        entry = store.users.get(name)
        if entry is None:  # removed since logging in
            st.session_state.pop(_SESSION_USER, None)
        else:
            user = entry.user()
    if user is None and local_admin_allowed(store, server_address()):
        user = LOCAL_ADMIN
    if user is None:
        st.session_state.pop(_CURRENT, None)
        _login_page(path, providers)
        st.stop()
    st.session_state[_CURRENT] = user
    if banner and user.source == "local-admin":
        st.warning(
            f"No users configured: running as local admin on {server_address()}, without a login. "
            "Add users with `callqa users add NAME --role reviewer|trainer|admin`; "
            "from then on everybody logs in.",
            icon=":material/shield:",
        )
    if sidebar:
        _sidebar(user)
    return user


def require(check: Callable[[User], bool] | None = None, what: str = "this page") -> User:
    """For the top of a page, or before an action: the user, re-checked, refused unless ``check`` passes.

    Runs the gate again without drawing its banner or sidebar, so a page that Streamlit runs
    without the entrypoint (its v1 ``pages/`` folder mode) still shows only the login page.
    """
    import streamlit as st

    user = gate(sidebar=False, banner=False)
    if check is not None and not check(user):
        _stop_with(st.error, f"Your role ({user.role.value}) does not allow {what}.")
    return user


def _stop_with(draw: Callable[[str], object], message: str):
    import streamlit as st

    draw(message)
    st.stop()


def _sidebar(user: User) -> None:
    import streamlit as st

    st.sidebar.caption(f"Signed in as **{md(user.label)}** · {user.role.value}")
    if user.source == "oidc":
        if st.sidebar.button("Log out", key="callqa_logout", icon=":material/logout:"):
            st.logout()
    elif user.source == "local":
        st.sidebar.button("Log out", key="callqa_logout", icon=":material/logout:", on_click=_logout_local)


def _logout_local() -> None:
    import streamlit as st

    name = st.session_state.get(_SESSION_USER)
    for key in (_SESSION_USER, _CURRENT):
        st.session_state.pop(key, None)
    if name:
        audit_logout(name, client_address())


def _login_page(path: Path, providers: list[str | None]) -> None:
    import importlib.util

    import streamlit as st

    st.title("callqa · log in")
    with st.form("callqa_login", clear_on_submit=True):
        name = st.text_input("User name", key="callqa_login_name", autocomplete="username")
        password = st.text_input("Password", type="password", key="callqa_login_password",
                                 autocomplete="current-password")
        submitted = st.form_submit_button("Log in", key="callqa_login_submit", type="primary")
    if submitted:
        _attempt(path, name.strip(), password)
    if providers:
        if importlib.util.find_spec("authlib") is None:
            st.warning("Single sign-on is configured, but the Authlib package is missing: "
                       "`pip install 'Authlib>=1.3.2'`.")
        for provider in providers:
            label = "Log in with SSO" if provider is None else f"Log in with {provider}"
            if st.button(label, key=f"callqa_sso_{provider or 'default'}", icon=":material/key:"):
                st.login(provider)  # None: the default [auth] provider


def _attempt(path: Path, name: str, password: str) -> None:
    """Counted in the database, not this session: a new session or websocket per try changes nothing."""
    import streamlit as st

    if not name or not password:
        st.error(LOGIN_EMPTY)
        return
    try:
        answer = authenticate(path, name, password, client_address())
    except (LoginUnavailable, UsersFileError) as err:
        st.error(str(err))
        return
    if answer.user is None:
        st.error(answer.message or LOGIN_FAILED)
        return
    st.session_state[_SESSION_USER] = answer.user.name
    st.rerun()
