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
    A password login lasts ``login_session_hours`` across reloads and new tabs: the server keeps
    the session (usecases.login_sessions: a random token's hash, expiry, idle time, revocation)
    and the browser a signed cookie naming it, written into the page by a tiny script component
    (``SameSite=Strict``, ``Path=/``, ``Secure`` and the ``__Host-`` prefix over HTTPS). A tab that
    opens without a login of its own shows the cookie it connected with (``st.context.cookies``).
    Log out ends the session in every tab and clears the cookie. OIDC logins live in Streamlit's
    auth cookie. Every run re-reads the users file, so a removed user, a new password or a
    changed role takes effect at once.

Deep links
    A page and query (``/call?call_id=...&t=12``) opened while logged out is remembered by the
    login page and opened after the login (``return_to``), not the queue.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from qa_app.i18n import N_, _, plural
from qa_app.mdtext import md
from storage.db import now as utc_now
from usecases import login_sessions
from usecases.login import LOGIN_FAILED, LoginUnavailable, audit_logout, authenticate
from usecases.login_sessions import Held, Refused
from usecases.users import (
    LOCAL_ADMIN,
    Role,
    User,
    UsersFileError,
    UserStore,
    is_staff,
    load,
    local_admin_allowed,
    oidc_user,
    users_path,
)

_HELD = "callqa_login_session"  # this tab's login session (usecases.login_sessions.Held)
_CURRENT = "callqa_current_user"  # the User resolved by this run's gate, for pages
_TRIED = "callqa_cookie_tried"  # cookie values this tab connected with and already tried (or logged out of)
_FORGET = "callqa_cookie_forget"  # the browser is to drop its session cookie (logged out, or refused)
_RETURN = "callqa_return_to"  # the page and query a logged-out visit asked for, opened after the login
_LANGUAGE = "callqa_language"  # qa_app.i18n's: a logout goes back to the site's language
LOGIN_EMPTY = N_("Enter your user name and password.")
ROLES = {"reviewer": N_("reviewer"), "trainer": N_("trainer"), "admin": N_("administrator"),
         "operator": N_("operator")}

# Writes or drops the session cookie of the page itself (a v2 component runs in the page, not an iframe).
# Secure and the __Host- name over HTTPS; SameSite=Strict: no other site's link or form carries it.
_COOKIE_JS = """
export default function ({ data }) {
  if (!data) return;
  const secure = window.location.protocol === "https:";
  const attributes = "; Path=/; SameSite=Strict" + (secure ? "; Secure" : "");
  if (data.value) {
    const age = data.max_age === null || data.max_age === undefined ? "" : "; Max-Age=" + data.max_age;
    document.cookie = data.name + "=" + data.value + attributes + age;
  } else {
    for (const name of data.forget || []) {
      if (name.startsWith("__Host-") && !secure) continue;
      document.cookie = name + "=" + attributes + "; Max-Age=0";
    }
  }
}
"""


@functools.cache
def _cookie_component():
    import streamlit as st

    return st.components.v2.component("callqa_session_cookie", js=_COOKIE_JS)


@dataclass(frozen=True)
class ReturnTo:
    """Where a logged-out visit was going: a page's url path ('' for the default page) and its query."""

    page: str
    query: dict[str, list[str]] = field(default_factory=dict)


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


def _https() -> bool:
    """Whether the browser reached the app over HTTPS (the URL it shows, so also behind a TLS proxy)."""
    import streamlit as st

    try:
        url = st.context.url
    except Exception:  # no client context
        return False
    return isinstance(url, str) and url.lower().startswith("https:")


def _cookie_sent() -> tuple[str, str] | None:
    """The session cookie this tab's websocket connected with: (name, value), the secure name first."""
    import streamlit as st

    try:
        cookies = st.context.cookies
    except Exception:  # no client context
        return None
    for name in (login_sessions.SECURE_COOKIE, login_sessions.COOKIE):
        value = cookies.get(name) if hasattr(cookies, "get") else None
        if isinstance(value, str) and value:
            return name, value
    return None


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

    Draws the local-admin banner (``banner``) and the sidebar's "signed in as", log-out button and
    session cookie (``sidebar``). Cheap when logged in: it re-reads the users file, no hashing, and
    the session's database row only every few seconds.
    """
    import streamlit as st

    path = users_path()
    try:
        store = load(path)
    except UsersFileError as err:
        _stop_with(st.error, _("{error}. Fix or remove the file; the app does not run without it.").format(
            error=str(err)))
    providers = oidc_providers()
    user: User | None = None
    problem: str | None = None
    claims = _oidc_claims() if providers else None
    if claims is not None:
        user = oidc_user(store, claims)
        if user is None:
            st.session_state.pop(_CURRENT, None)
            who = claims.get("email") or claims.get("name") or _("this account")
            if store.roles.get(str(claims.get("email") or "").strip().lower()) == Role.OPERATOR:
                # An operator over SSO sees the calls of their operator id; without one, nothing at all.
                command = "callqa users add " + str(claims.get("email")) + " --sso --role operator --operator-id ID"
                st.error(_("{who} is an operator without an operator id, so there are no calls to show. Ask an "
                           "administrator to set it ({command}).").format(who=md(who), command=md(command)))
            else:
                command = "callqa users add " + (claims.get("email") or "EMAIL") + " --sso --role reviewer"
                st.error(_("{who} has no access to callqa. Ask an administrator to grant a role ({command}).").format(
                    who=md(who), command=md(command)))
            if st.button(_("Log out"), key="callqa_logout_denied"):
                st.logout()
            st.stop()
    else:
        user, problem = _password_user(store, path)
    if user is None and local_admin_allowed(store, server_address()):
        user = LOCAL_ADMIN
    if user is None:
        st.session_state.pop(_CURRENT, None)
        _login_page(path, providers, problem)
        st.stop()
    st.session_state[_CURRENT] = user
    if banner:
        show_banner(user)
    if sidebar:
        show_sidebar(user)
    return user


def _password_user(store: UserStore, path: Path) -> tuple[User | None, str | None]:
    """The user this tab's login session (or, in a fresh tab, its cookie) logs in; else why not, for people."""
    import streamlit as st

    held = st.session_state.get(_HELD)
    if isinstance(held, Held):
        kept = login_sessions.keep(held, store, client_address())
        if kept is None:
            _drop_session(forget_cookie=True)
            return None, _("Your session has ended: log in again.")
        st.session_state[_HELD] = kept
        return store.users[kept.user_name].user(), None
    sent = _cookie_sent()
    tried = st.session_state.setdefault(_TRIED, set())
    if sent is None or sent[1] in tried:
        return None, None
    tried.add(sent[1])
    try:
        held = login_sessions.resume(*sent, client_address(), store, path)
    except Refused as refused:
        st.session_state[_FORGET] = True
        if refused.reason in ("expired", "idle"):
            return None, _("Your session has ended: log in again.")
        return None, None
    except LoginUnavailable as err:
        return None, _(err.template).format(**err.values)
    st.session_state[_HELD] = held
    return store.users[held.user_name].user(), None


def require(check: Callable[[User], bool] | None = None, what: str | None = None) -> User:
    """For the top of a page, or before an action: the user, re-checked, refused unless ``check`` passes.

    Without ``check`` the page is for staff only (``users.is_staff``: reviewers, trainers, admins), so an
    operator, who sees nothing but their own evaluations, is refused by every page that does not say otherwise.
    Runs the gate again without drawing its banner or sidebar, so a page that Streamlit runs
    without the entrypoint (its v1 ``pages/`` folder mode) still shows only the login page.
    ``what`` is the action in the reader's words (already translated).
    """
    import streamlit as st

    user = gate(sidebar=False, banner=False)
    if check is None:
        check = is_staff
    if not check(user):
        role = _(ROLES.get(user.role.value, user.role.value))
        if what is None:
            _stop_with(st.error, _("Your role ({role}) does not allow this page.").format(role=role))
        _stop_with(st.error, _("Your role ({role}) does not allow {what}.").format(role=role, what=what))
    return user


def _stop_with(draw: Callable[[str], object], message: str):
    import streamlit as st

    draw(message)
    st.stop()


def show_banner(user: User) -> None:
    """The local admin's warning: nobody logs in while no user is configured."""
    import streamlit as st

    if user.source == "local-admin":
        st.warning(
            _("No users configured: running as local admin on {address}, without a login. Add users with "
              "`callqa users add NAME --role reviewer|trainer|admin`; from then on everybody logs in.").format(
                address=server_address()),
            icon=":material/shield:",
        )


def show_sidebar(user: User) -> None:
    """Who is signed in, the log-out button, and the session cookie kept in the browser."""
    import streamlit as st

    role = _(ROLES.get(user.role.value, user.role.value))
    name = _("Local admin") if user.source == "local-admin" else user.label
    st.sidebar.caption(_("Signed in as **{name}** · {role}").format(name=md(name), role=role))
    if user.source == "oidc":
        if st.sidebar.button(_("Log out"), key="callqa_logout", icon=":material/logout:"):
            st.logout()
    elif user.source == "local":
        st.sidebar.button(_("Log out"), key="callqa_logout", icon=":material/logout:", on_click=_logout_local)
        held = st.session_state.get(_HELD)
        if isinstance(held, Held):
            with st.sidebar:
                _cookie_component()(key="callqa_session_cookie", height=0, data={
                    "name": held.cookie_name, "value": held.cookie, "max_age": held.max_age_s(utc_now())})


def _drop_session(*, forget_cookie: bool) -> None:
    import streamlit as st

    held = st.session_state.pop(_HELD, None)
    st.session_state.pop(_CURRENT, None)
    if isinstance(held, Held):
        st.session_state.setdefault(_TRIED, set()).add(held.cookie)  # this tab's websocket still shows it
    if forget_cookie:
        st.session_state[_FORGET] = True


def _logout_local() -> None:
    import streamlit as st

    held = st.session_state.get(_HELD)
    user = current_user()
    _drop_session(forget_cookie=True)
    st.session_state.pop(_LANGUAGE, None)  # the login page is in the site's language again
    if isinstance(held, Held):
        login_sessions.end(held, client_address())
    elif user is not None:
        audit_logout(user.name, client_address())


def _remember_destination() -> None:
    """The page and query this logged-out visit asked for, kept for after the login (the first ask wins)."""
    import streamlit as st
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if _RETURN in st.session_state:
        return
    ctx = get_script_run_ctx()
    page = getattr(getattr(ctx, "pages_manager", None), "intended_page_name", None) or ""
    query = {k: st.query_params.get_all(k) for k in st.query_params}
    st.session_state[_RETURN] = ReturnTo(str(page).strip("/"), query)


def return_to(pages: dict[str, object]) -> None:
    """After a login, opens the page and query the logged-out visit asked for (``pages``: url path -> page).

    Call after ``st.navigation``; does nothing when the visit asked for nothing in particular.
    """
    import streamlit as st

    wanted = st.session_state.pop(_RETURN, None)
    if not isinstance(wanted, ReturnTo) or (not wanted.page and not wanted.query):
        return
    target = pages.get(wanted.page)
    if target is None:
        return  # not a page of this app (an old bookmark): the default page
    query = {k: v if len(v) != 1 else v[0] for k, v in wanted.query.items()}
    st.switch_page(target, query_params=query)  # type: ignore[arg-type]


def _login_page(path: Path, providers: list[str | None], problem: str | None) -> None:
    import importlib.util

    import streamlit as st

    _remember_destination()
    if st.session_state.pop(_FORGET, False):
        names = [login_sessions.COOKIE, login_sessions.SECURE_COOKIE]
        _cookie_component()(key="callqa_session_cookie_forget", height=0, data={"forget": names})
    st.title(_("callqa · log in"))
    if problem:
        st.info(problem, icon=":material/lock_clock:")
    with st.form("callqa_login", clear_on_submit=True):
        name = st.text_input(_("User name"), key="callqa_login_name", autocomplete="username")
        password = st.text_input(_("Password"), type="password", key="callqa_login_password",
                                 autocomplete="current-password")
        submitted = st.form_submit_button(_("Log in"), key="callqa_login_submit", type="primary")
    if submitted:
        _attempt(path, name.strip(), password)
    if providers:
        if importlib.util.find_spec("authlib") is None:
            st.warning(_("Single sign-on is configured, but the Authlib package is missing: "
                         "`pip install 'Authlib>=1.3.2'`."))
        for provider in providers:
            label = _("Log in with SSO") if provider is None else _("Log in with {provider}").format(provider=provider)
            if st.button(label, key=f"callqa_sso_{provider or 'default'}", icon=":material/key:"):
                st.login(provider)  # None: the default [auth] provider


def _refusal(answer) -> str:
    """Why a login was refused, in the reader's words: how long, never whether the name exists."""
    import math

    decision = answer.decision
    if decision is None or answer.outcome == "failure":
        return _(LOGIN_FAILED)
    if decision.reason == "locked":
        minutes = max(1, math.ceil(decision.wait_s / 60))
        return plural(
            "Too many failed attempts: logins for this name or from this address are locked for {n} more minute. "
            "An administrator can lift it (`callqa users unlock`).",
            "Too many failed attempts: logins for this name or from this address are locked for {n} more minutes. "
            "An administrator can lift it (`callqa users unlock`).", minutes).format(n=minutes)
    return _("Too many failed attempts: wait {seconds} s before trying again.").format(
        seconds=max(1, math.ceil(decision.wait_s)))


def _attempt(path: Path, name: str, password: str) -> None:
    """Counted in the database, not this session: a new session or websocket per try changes nothing."""
    import streamlit as st

    if not name or not password:
        st.error(_(LOGIN_EMPTY))
        return
    try:
        answer = authenticate(path, name, password, client_address(),
                              remember=login_sessions.cookie_name(_https()))
    except LoginUnavailable as err:
        st.error(_(err.template).format(**err.values))
        return
    except UsersFileError as err:
        st.error(_("{error}. Fix or remove the file; the app does not run without it.").format(error=str(err)))
        return
    if answer.user is None or answer.held is None:
        st.error(_refusal(answer) if answer.user is None else _(LOGIN_FAILED))
        return
    st.session_state[_HELD] = answer.held
    st.session_state.pop(_FORGET, None)
    st.rerun()
