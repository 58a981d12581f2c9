"""Who may use the QA app, and as what: roles, local users, OIDC, and the login gate.

Roles: ``reviewer`` (reviews calls and overrides verdicts), ``trainer`` (assigns coaching,
cannot override verdicts), ``admin`` (both, plus unredacted text and administration).

Users file
    ``$CALLQA_USERS`` when set, else ``users.toml`` beside the database (``$CALLQA_DB``, which
    ``callqa app`` sets), else ``data/users.toml`` (beside the default database). ``callqa users
    add|list|remove|passwd`` manages it; it is TOML, written atomically with mode 0600::

        [users."alice"]
        role = "reviewer"
        display_name = "Alice Smith"
        password = "scrypt$n=16384,r=8,p=1$<salt>$<key>"   # base64, per-user random salt

        [roles]                      # OIDC identities (e-mail, case-insensitive) -> role
        "boss@example.com" = "admin"

    A file that exists but cannot be read or parsed closes the app (it never falls back to
    the keyless local admin).

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

Login throttle and audit (``storage.auth_events``, settings ``login_*`` in usecases.settings)
    Failures are counted in the database per name as typed and per client address, so a new
    session per try gains nothing. After 3 failures of a name within 15 min each try waits 1,
    2, 4 ... 60 s; at 10 the name is locked for 15 min (addresses: 20 and 100). A throttled or
    locked attempt is refused before its password is checked, with the same words for known
    and unknown names; the right password does not open a locked name. A success resets the
    name's count; `callqa users unlock NAME` (or `--address`) lifts a lock. Every success,
    failure, refusal, lockout and logout is an ``auth_events`` row (time, name as typed,
    address, outcome; never a password); `callqa users events` lists them. When the nightly
    flow holds the database longer than ``login_db_wait_s``, logins are refused ("try again")
    rather than let through uncounted, and the refusal is journalled (``storage.pending``).
    New passwords must pass ``qa_app.password_policy`` (length, zxcvbn score, not the name).

Only the ``gate``/``require``/``current_user`` functions need a running Streamlit; the rest
(hashing, the users file, permissions) is plain Python for the CLI and tests.
"""

from __future__ import annotations

import base64
import fcntl
import functools
import hashlib
import hmac
import ipaddress
import json
import logging
import math
import os
import re
import secrets
import tomllib
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import StrEnum
from pathlib import Path
from typing import Callable, Iterator, Literal

from qa_app.password_policy import PasswordPolicy, weakness
from qa_app.mdtext import md

USERS_ENV = "CALLQA_USERS"
DB_ENV = "CALLQA_DB"
USERS_FILE_NAME = "users.toml"
DEFAULT_DB = Path("data/callqa.duckdb")  # usecases.settings.StorageSettings.db; not imported to keep this light
LOCAL_ADMIN_NAME = "local-admin"  # qa_app.data.DEFAULT_REVIEWER
MIN_PASSWORD_LENGTH = PasswordPolicy().min_length
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$")


class Role(StrEnum):
    REVIEWER = "reviewer"
    TRAINER = "trainer"
    ADMIN = "admin"


ROLES: tuple[str, ...] = tuple(r.value for r in Role)
Source = Literal["local", "oidc", "local-admin"]


@dataclass(frozen=True)
class User:
    name: str  # local user name, or the OIDC e-mail
    role: Role
    display_name: str | None = None
    source: Source = "local"

    @property
    def label(self) -> str:
        return self.display_name or self.name


LOCAL_ADMIN = User(LOCAL_ADMIN_NAME, Role.ADMIN, "Local admin", "local-admin")


# --- permissions: pages ask these, never compare roles themselves ---------------------

def can_review(user: User | None) -> bool:
    """Save reviews and override verdicts."""
    return user is not None and user.role in (Role.REVIEWER, Role.ADMIN)


def can_assign_coaching(user: User | None) -> bool:
    return user is not None and user.role in (Role.TRAINER, Role.ADMIN)


def can_see_unredacted(user: User | None) -> bool:
    return user is not None and user.role == Role.ADMIN


def can_admin(user: User | None) -> bool:
    return user is not None and user.role == Role.ADMIN


# --- password hashing --------------------------------------------------------------------

@dataclass(frozen=True)
class ScryptCost:
    n: int = 2**14
    r: int = 8
    p: int = 1

    @property
    def maxmem(self) -> int:
        return 2 * 128 * self.r * (self.n + self.p + 2)  # scrypt needs ~128*r*n bytes


DEFAULT_COST = ScryptCost()
_MAX_N = 2**20  # refuse absurd parameters from a tampered file instead of exhausting memory
_KEY_LEN = 32


def hash_password(password: str, cost: ScryptCost = DEFAULT_COST) -> str:
    """``scrypt$n=..,r=..,p=..$salt$key`` (base64); a fresh random salt every time."""
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=cost.n, r=cost.r, p=cost.p, maxmem=cost.maxmem, dklen=_KEY_LEN)
    b64 = base64.b64encode
    return f"scrypt$n={cost.n},r={cost.r},p={cost.p}${b64(salt).decode()}${b64(key).decode()}"


def check_password(password: str, encoded: str) -> bool:
    try:
        scheme, params, salt_b64, key_b64 = encoded.split("$")
        values = dict(item.split("=", 1) for item in params.split(","))
        cost = ScryptCost(int(values["n"]), int(values["r"]), int(values["p"]))
        salt, expected = base64.b64decode(salt_b64, validate=True), base64.b64decode(key_b64, validate=True)
    except (ValueError, KeyError):
        return False
    if scheme != "scrypt" or not (1 < cost.n <= _MAX_N and 0 < cost.r <= 32 and 0 < cost.p <= 16) or not expected:
        return False
    key = hashlib.scrypt(
        password.encode(), salt=salt, n=cost.n, r=cost.r, p=cost.p, maxmem=cost.maxmem, dklen=len(expected)
    )
    return hmac.compare_digest(key, expected)


@functools.cache
def _dummy_hash() -> str:
    """A hash to check unknown names against, so they cost the same time as a wrong password."""
    return hash_password(secrets.token_hex(16))


# --- the users file ----------------------------------------------------------------------

class UsersError(ValueError):
    """A bad request about users (duplicate, unknown name, bad role, weak password): the message says which."""


class UsersFileError(ValueError):
    """The users file exists but cannot be used; the app refuses to run on it."""


@dataclass(frozen=True)
class LocalUser:
    name: str
    role: Role
    password_hash: str
    display_name: str | None = None
    created_at: str | None = None

    def user(self) -> User:
        return User(self.name, self.role, self.display_name, "local")


@dataclass(frozen=True)
class UserStore:
    users: dict[str, LocalUser] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)  # OIDC e-mail (lower case) -> role

    @property
    def empty(self) -> bool:
        return not self.users and not self.roles


def users_path(db: str | os.PathLike[str] | None = None) -> Path:
    """``$CALLQA_USERS``, else ``users.toml`` beside ``db`` (or ``$CALLQA_DB``, or the default database)."""
    explicit = os.environ.get(USERS_ENV)
    if explicit:
        return Path(explicit).expanduser()
    database = Path(db) if db is not None else Path(os.environ.get(DB_ENV) or DEFAULT_DB)
    return database.expanduser().parent / USERS_FILE_NAME


def parse_role(value: object) -> Role:
    try:
        return Role(str(value).strip().lower())
    except ValueError:
        raise UsersError(f"unknown role {value!r}: use one of {', '.join(ROLES)}") from None


def load(path: str | os.PathLike[str]) -> UserStore:
    """The users file's contents; a missing file is an empty store."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        return UserStore()
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise UsersFileError(f"cannot read the users file {path}: {err}") from err
    try:
        users = {
            name: LocalUser(
                name=name,
                role=parse_role(entry["role"]),
                password_hash=str(entry["password"]),
                display_name=entry.get("display_name") or None,
                created_at=entry.get("created_at"),
            )
            for name, entry in data.get("users", {}).items()
        }
        roles = {str(email).lower(): parse_role(role) for email, role in data.get("roles", {}).items()}
    except (UsersError, KeyError, TypeError, AttributeError) as err:
        raise UsersFileError(f"the users file {path} is malformed: {err}") from err
    return UserStore(users, roles)


def _toml_str(value: str) -> str:
    # JSON string escapes (\" \\ \n \t \uXXXX) are all valid TOML basic-string escapes.
    return json.dumps(value, ensure_ascii=False)


def _dump(store: UserStore) -> str:
    lines = ["# callqa users: managed by `callqa users add|remove|passwd`. Keep it mode 0600.", ""]
    for user in sorted(store.users.values(), key=lambda u: u.name):
        lines.append(f"[users.{_toml_str(user.name)}]")
        lines.append(f"role = {_toml_str(user.role.value)}")
        if user.display_name:
            lines.append(f"display_name = {_toml_str(user.display_name)}")
        lines.append(f"password = {_toml_str(user.password_hash)}")
        if user.created_at:
            lines.append(f"created_at = {_toml_str(user.created_at)}")
        lines.append("")
    lines.append("# OIDC identities (st.login): e-mail -> role. Identities not listed get no access.")
    lines.append("[roles]")
    lines.extend(f"{_toml_str(email)} = {_toml_str(role.value)}" for email, role in sorted(store.roles.items()))
    return "\n".join(lines) + "\n"


def _write(path: Path, store: UserStore) -> None:
    """Atomic: a temporary file (0600 from its creation) replaces the old one."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(_dump(store))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@contextmanager
def _editing(path: str | os.PathLike[str]) -> Iterator[tuple[Path, UserStore]]:
    """Read-modify-write under an exclusive lock, so two `callqa users` commands never lose an edit."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_fd = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        yield path, load(path)
    finally:
        os.close(lock_fd)


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise UsersError(
            f"invalid user name {name!r}: 1-64 characters, letters, digits and . _ @ + -, starting with a letter or digit"
        )
    return name


def _check_password(password: str, name: str, display_name: str | None, policy: PasswordPolicy) -> str:
    """Refuses (UsersError, saying why) a short, common or guessable password, or one with the user's name."""
    why = weakness(password, user_name=name, display_name=display_name, policy=policy)
    if why:
        raise UsersError(why)
    return password


def add_user(
    path: str | os.PathLike[str], name: str, role: str, password: str, display_name: str | None = None,
    cost: ScryptCost = DEFAULT_COST, policy: PasswordPolicy = PasswordPolicy(),
) -> User:
    """A new local user; refuses a name that exists, and a weak password (``qa_app.password_policy``)."""
    parsed = check_new_user(path, name, role)
    with _editing(path) as (file, store):
        _refuse_existing(store, name)
        _check_password(password, name, display_name, policy)
        created = datetime.now(timezone.utc).isoformat(timespec="seconds")
        entry = LocalUser(name, parsed, hash_password(password, cost), display_name or None, created)
        _write(file, UserStore({**store.users, name: entry}, store.roles))
    return entry.user()


def check_new_user(path: str | os.PathLike[str], name: str, role: str) -> Role:
    """Everything ``add_user`` checks except the password (so the CLI can fail before prompting)."""
    _check_name(name)
    parsed = parse_role(role)
    _refuse_existing(load(path), name)
    return parsed


def _refuse_existing(store: UserStore, name: str) -> None:
    if name in store.users:
        raise UsersError(f"user {name!r} already exists (change the password with `callqa users passwd {name}`)")


def add_oidc_role(path: str | os.PathLike[str], email: str, role: str) -> None:
    """Grant an OIDC identity (its e-mail) a role; replaces an earlier grant."""
    email = email.strip().lower()
    if "@" not in email or any(c.isspace() for c in email):
        raise UsersError(f"an OIDC identity is an e-mail address, not {email!r}")
    parsed = parse_role(role)
    with _editing(path) as (file, store):
        _write(file, UserStore(store.users, {**store.roles, email: parsed}))


def remove_user(path: str | os.PathLike[str], name: str) -> list[str]:
    """Removes the local user and/or the OIDC grant called ``name``; says which were removed."""
    with _editing(path) as (file, store):
        users = {k: v for k, v in store.users.items() if k != name}
        roles = {k: v for k, v in store.roles.items() if k != name.lower()}
        removed = (["local user"] if len(users) < len(store.users) else []) + (
            ["OIDC identity"] if len(roles) < len(store.roles) else []
        )
        if not removed:
            raise UsersError(f"no user {name!r} in {file}")
        _write(file, UserStore(users, roles))
    return removed


def set_password(path: str | os.PathLike[str], name: str, password: str, cost: ScryptCost = DEFAULT_COST,
                 policy: PasswordPolicy = PasswordPolicy()) -> None:
    with _editing(path) as (file, store):
        if name not in store.users:
            raise UsersError(f"no local user {name!r} in {file}")
        old = store.users[name]
        _check_password(password, name, old.display_name, policy)
        updated = LocalUser(old.name, old.role, hash_password(password, cost), old.display_name, old.created_at)
        _write(file, UserStore({**store.users, name: updated}, store.roles))


def list_users(path: str | os.PathLike[str]) -> list[User]:
    """Local users, then OIDC identities (source "oidc"), each sorted by name."""
    store = load(path)
    local = [u.user() for u in sorted(store.users.values(), key=lambda u: u.name)]
    return local + [User(email, role, None, "oidc") for email, role in sorted(store.roles.items())]


def verify(path: str | os.PathLike[str], name: str, password: str) -> User | None:
    """The user when name and password match, else None (unknown names take as long as wrong passwords)."""
    entry = load(path).users.get(name)
    ok = check_password(password, entry.password_hash if entry else _dummy_hash())
    return entry.user() if ok and entry is not None else None


def oidc_user(store: UserStore, claims: dict) -> User | None:
    """The role an OIDC identity has under ``[roles]``; None for unknown or unverified e-mails."""
    email = str(claims.get("email") or "").strip().lower()
    if not email or claims.get("email_verified") is False:
        return None
    role = store.roles.get(email)
    return User(email, role, claims.get("name") or None, "oidc") if role else None


# --- where the app listens -----------------------------------------------------------------

def is_loopback(address: str | None) -> bool:
    """True only for addresses that nobody else can reach; unset (all interfaces) is not."""
    if not address:
        return False
    host = address.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # host names, unix:// sockets: fail closed


def local_admin_allowed(store: UserStore, address: str | None) -> bool:
    return store.empty and is_loopback(address)


# --- the Streamlit gate ----------------------------------------------------------------------

_SESSION_USER = "callqa_auth_user"  # local user name after a successful password login
_CURRENT = "callqa_current_user"  # the User resolved by this run's gate, for pages
LOGIN_FAILED = "Unknown user name or wrong password."
LOGIN_EMPTY = "Enter your user name and password."
LOGOUT_DB_WAIT_S = 1.0  # a logout never waits long for the database: its audit row goes to the journal


# --- login attempts, throttled in the database (storage.auth_events) ---------------------------

class LoginUnavailable(RuntimeError):
    """The attempt cannot be counted now (database busy, missing or misconfigured): it is refused, unchecked."""


@dataclass(frozen=True)
class LoginAnswer:
    user: User | None
    message: str | None = None  # for the login form when refused or failed
    outcome: str = "success"  # success | failure | throttled | locked


def database_path() -> Path:
    """Where the login throttle and audit live: the app's database (``$CALLQA_DB``, else the default)."""
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB).expanduser()


def _settings(db: Path):
    from usecases.settings import load_settings

    return load_settings(db=db)


def authenticate(path: str | os.PathLike[str], name: str, password: str, address: str | None, *,
                 db: str | os.PathLike[str] | None = None, now: datetime | None = None) -> LoginAnswer:
    """One login attempt, throttled per name and per address in the database (``storage.auth_events``).

    Decided before any password is checked: a throttled or locked name (known or not) gets no
    scrypt check and the same answer. Every outcome is audited. When the database cannot be
    written within ``login_db_wait_s`` the attempt is refused (``LoginUnavailable``): fail closed,
    nobody gets in uncounted; the refusal itself is audited through the pending journal.
    """
    import duckdb

    from storage import auth_events
    from storage.db import PROCESS_LOCK, connect
    from storage.db import now as utc_now

    database = Path(db) if db is not None else database_path()
    try:
        settings = _settings(database)
    except (ValueError, OSError, tomllib.TOMLDecodeError) as err:
        raise LoginUnavailable(f"Logins are refused until the configuration is fixed: {err}") from err
    if not database.is_file():
        raise LoginUnavailable(f"Logins are counted in the database, and {database} does not exist yet: "
                               "run `callqa run` first, then reload this page.")
    at = now or utc_now()
    found: list[User] = []

    def password_ok() -> bool:
        user = verify(path, name, password)
        found.extend([user] if user else [])
        return user is not None

    try:
        with PROCESS_LOCK, connect(database, read_only=False, timeout_s=settings.login.db_wait_s) as con:
            result = auth_events.login(con, name, address, password_ok, at, settings.login.limits())
    except duckdb.Error as err:
        text = " ".join(str(err).split())
        _journal(database, auth_events.event(name, address, "unavailable", at, detail=text[:200]))
        if "lock" in text.lower():
            raise LoginUnavailable("The database is busy (the nightly run is writing to it), so this login cannot "
                                   "be checked now: try again in a minute.") from err
        raise LoginUnavailable(f"Logins cannot be checked: the database {database} fails ({text}).") from err
    if result.outcome == "success":
        return LoginAnswer(found[0])
    if result.outcome == "failure":
        return LoginAnswer(None, LOGIN_FAILED, "failure")
    return LoginAnswer(None, refusal_message(result.decision), result.outcome)


def refusal_message(decision) -> str:
    """The same words for any name, known or not: they tell how long, never whether the name exists."""
    if decision.reason == "locked":
        minutes = max(1, math.ceil(decision.wait_s / 60))
        return (f"Too many failed attempts: logins for this name or from this address are locked for {minutes} more "
                f"minute{'s' if minutes != 1 else ''}. An administrator can lift it (`callqa users unlock`).")
    return f"Too many failed attempts: wait {max(1, math.ceil(decision.wait_s))} s before trying again."


def _journal(database: Path, event) -> None:
    """An audit row the database could not take now, for the next writer to apply."""
    from storage import pending

    try:
        pending.record(database, "auth_events", event.row())
    except OSError:
        logging.getLogger(__name__).exception("cannot journal the login audit row %s", event.outcome)


def audit_logout(name: str, address: str | None, *, db: str | os.PathLike[str] | None = None) -> None:
    """Record a logout; never blocks or fails the logout itself (a busy database: the journal)."""
    import duckdb

    from storage import auth_events
    from storage.db import PROCESS_LOCK, connect
    from storage.db import now as utc_now

    database = Path(db) if db is not None else database_path()
    ev = auth_events.event(name, address, "logout", utc_now())
    if not database.is_file():
        return
    try:
        with PROCESS_LOCK, connect(database, read_only=False, timeout_s=LOGOUT_DB_WAIT_S) as con:
            auth_events.record(con, ev)
    except duckdb.Error:
        _journal(database, ev)


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
        password = st.text_input("Password", type="password", key="callqa_login_password", autocomplete="current-password")
        submitted = st.form_submit_button("Log in", key="callqa_login_submit", type="primary")
    if submitted:
        _attempt(path, name.strip(), password)
    if providers:
        if importlib.util.find_spec("authlib") is None:
            st.warning("Single sign-on is configured, but the Authlib package is missing: `pip install 'Authlib>=1.3.2'`.")
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
