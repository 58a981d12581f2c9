"""Who may use the QA app, and as what: roles, permissions, local users, password hashing, the users file.

Roles: ``reviewer`` (reviews calls and overrides verdicts), ``trainer`` (assigns coaching,
cannot override verdicts), ``admin`` (both, plus unredacted text and administration): the staff.
``operator``: a call-centre operator who sees only their own evaluations (masked, never
unredacted), acknowledges them or disputes a verdict; every staff page refuses them. An operator
is tied to the ``operator_id`` their calls carry (``calls.operator_id``).

Users file
    ``$CALLQA_USERS`` when set, else ``users.toml`` beside the database (``$CALLQA_DB``, which
    ``callqa app`` sets), else ``data/users.toml`` (beside the default database). ``callqa users
    add|list|remove|passwd`` manages it; it is TOML, written atomically with mode 0600::

        [users."alice"]
        role = "reviewer"
        display_name = "Alice Smith"
        password = "scrypt$n=16384,r=8,p=1$<salt>$<key>"   # base64, per-user random salt

        [users."ivanova"]
        role = "operator"
        operator_id = "op.ivanova"   # required for operators: whose calls they see
        password = "..."

        [roles]                      # OIDC identities (e-mail, case-insensitive) -> role
        "boss@example.com" = "admin"
        "ivanova@example.com" = "operator"

        [operators]                  # OIDC operators: e-mail -> operator id (without one, no access)
        "ivanova@example.com" = "op.ivanova"

    A file that exists but cannot be read or parsed closes the app (it never falls back to
    the keyless local admin).

Local admin (first run, no set-up)
    Allowed only while the users file holds no local user and no OIDC mapping, *and* the
    server is bound to a loopback address (``local_admin_allowed``; the app's login gate,
    qa_app.auth, passes the address Streamlit binds).

New passwords must pass ``usecases.password_policy`` (length, zxcvbn score, not the name).
Plain Python, no Streamlit: the CLI (``callqa users``), the login (usecases.login) and the
app's gate (qa_app.auth) share it.
"""

from __future__ import annotations

import base64
import fcntl
import functools
import hashlib
import hmac
import ipaddress
import json
import os
import re
import secrets
import tomllib
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import StrEnum
from pathlib import Path
from typing import Iterator, Literal

from usecases.password_policy import PasswordPolicy, weakness

USERS_ENV = "CALLQA_USERS"
DB_ENV = "CALLQA_DB"
USERS_FILE_NAME = "users.toml"
DEFAULT_DB = Path("data/callqa.duckdb")  # usecases.settings.StorageSettings.db; not imported to keep this light
LOCAL_ADMIN_NAME = "local-admin"  # the name saved with the local admin's reviews
MIN_PASSWORD_LENGTH = PasswordPolicy().min_length
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$")


class Role(StrEnum):
    REVIEWER = "reviewer"
    TRAINER = "trainer"
    ADMIN = "admin"
    OPERATOR = "operator"


ROLES: tuple[str, ...] = tuple(r.value for r in Role)
Source = Literal["local", "oidc", "local-admin"]


@dataclass(frozen=True)
class User:
    name: str  # local user name, or the OIDC e-mail
    role: Role
    display_name: str | None = None
    source: Source = "local"
    operator_id: str | None = None  # an operator's: the calls.operator_id of the calls they may see

    @property
    def label(self) -> str:
        return self.display_name or self.name


LOCAL_ADMIN = User(LOCAL_ADMIN_NAME, Role.ADMIN, "Local admin", "local-admin")


# --- permissions: pages ask these, never compare roles themselves ---------------------

STAFF: tuple[Role, ...] = (Role.REVIEWER, Role.TRAINER, Role.ADMIN)


def is_staff(user: User | None) -> bool:
    """Every page but an operator's own: the default of ``qa_app.auth.require``."""
    return user is not None and user.role in STAFF


def can_see_own_evaluations(user: User | None) -> bool:
    """An operator tied to an operator id: their own calls, masked, to acknowledge or dispute."""
    return user is not None and user.role == Role.OPERATOR and bool(user.operator_id)


def may_see_call(user: User | None, call_operator_id: str | None) -> bool:
    """Staff see every call; an operator only a call their own operator id handled."""
    if is_staff(user):
        return True
    if user is None or not can_see_own_evaluations(user):
        return False
    return call_operator_id is not None and call_operator_id == user.operator_id


def can_resolve_disputes(user: User | None) -> bool:
    """Upholding or overturning an operator's dispute changes a verdict: reviewers' work."""
    return can_review(user)


def can_review(user: User | None) -> bool:
    """Save reviews and override verdicts."""
    return user is not None and user.role in (Role.REVIEWER, Role.ADMIN)


def can_lead_calibration(user: User | None) -> bool:
    """Create calibration sessions (pick calls and reviewers) and close one's own."""
    return user is not None and user.role in (Role.REVIEWER, Role.ADMIN)


def can_assign_coaching(user: User | None) -> bool:
    return user is not None and user.role in (Role.TRAINER, Role.ADMIN)


def can_read_accuracy(user: User | None) -> bool:
    """The accuracy sheet: reviewers and admins, whose reviews make it, and trainers, who read it."""
    return can_review(user) or can_assign_coaching(user)


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
    operator_id: str | None = None

    def user(self) -> User:
        return User(self.name, self.role, self.display_name, "local", self.operator_id)

    @property
    def credential(self) -> str:
        """A fingerprint of the password hash: every new password (a fresh salt) changes it, which ends the
        user's login sessions (usecases.login_sessions), however the password was changed."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class UserStore:
    users: dict[str, LocalUser] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)  # OIDC e-mail (lower case) -> role
    operators: dict[str, str] = field(default_factory=dict)  # OIDC e-mail (lower case) -> operator id

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
                operator_id=str(entry["operator_id"]).strip() or None if entry.get("operator_id") else None,
            )
            for name, entry in data.get("users", {}).items()
        }
        roles = {str(email).lower(): parse_role(role) for email, role in data.get("roles", {}).items()}
        operators = {str(email).lower(): str(op).strip() for email, op in data.get("operators", {}).items()
                     if str(op).strip()}
    except (UsersError, KeyError, TypeError, AttributeError) as err:
        raise UsersFileError(f"the users file {path} is malformed: {err}") from err
    return UserStore(users, roles, operators)


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
        if user.operator_id:
            lines.append(f"operator_id = {_toml_str(user.operator_id)}")
        lines.append(f"password = {_toml_str(user.password_hash)}")
        if user.created_at:
            lines.append(f"created_at = {_toml_str(user.created_at)}")
        lines.append("")
    lines.append("# OIDC identities (st.login): e-mail -> role. Identities not listed get no access.")
    lines.append("[roles]")
    lines.extend(f"{_toml_str(email)} = {_toml_str(role.value)}" for email, role in sorted(store.roles.items()))
    lines.append("")
    lines.append("# OIDC operators: e-mail -> operator id (whose calls they see). Without one, no access.")
    lines.append("[operators]")
    lines.extend(f"{_toml_str(email)} = {_toml_str(op)}" for email, op in sorted(store.operators.items()))
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
            f"invalid user name {name!r}: 1-64 characters, letters, digits and . _ @ + -, "
            "starting with a letter or digit"
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
    cost: ScryptCost = DEFAULT_COST, policy: PasswordPolicy = PasswordPolicy(), operator_id: str | None = None,
) -> User:
    """A new local user; refuses a name that exists, and a weak password (``usecases.password_policy``).
    An operator needs ``operator_id`` (whose calls they see); other roles refuse one."""
    parsed = check_new_user(path, name, role, operator_id)
    with _editing(path) as (file, store):
        _refuse_existing(store, name)
        _check_password(password, name, display_name, policy)
        created = datetime.now(timezone.utc).isoformat(timespec="seconds")
        entry = LocalUser(name, parsed, hash_password(password, cost), display_name or None, created,
                          (operator_id or "").strip() or None)
        _write(file, UserStore({**store.users, name: entry}, store.roles, store.operators))
    return entry.user()


def check_new_user(path: str | os.PathLike[str], name: str, role: str, operator_id: str | None = None) -> Role:
    """Everything ``add_user`` checks except the password (so the CLI can fail before prompting)."""
    _check_name(name)
    parsed = parse_role(role)
    _check_operator_id(parsed, operator_id)
    _refuse_existing(load(path), name)
    return parsed


def _check_operator_id(role: Role, operator_id: str | None) -> None:
    """An operator sees the calls of one operator id; nobody else is tied to one."""
    given = (operator_id or "").strip()
    if role == Role.OPERATOR and not given:
        raise UsersError("an operator needs --operator-id: the operator id their calls carry (e.g. op.ivanova)")
    if role != Role.OPERATOR and given:
        raise UsersError(f"--operator-id is only for the operator role, not {role.value}")


def _refuse_existing(store: UserStore, name: str) -> None:
    if name in store.users:
        raise UsersError(f"user {name!r} already exists (change the password with `callqa users passwd {name}`)")


def add_oidc_role(path: str | os.PathLike[str], email: str, role: str, operator_id: str | None = None) -> None:
    """Grant an OIDC identity (its e-mail) a role; replaces an earlier grant. An operator needs ``operator_id``."""
    email = email.strip().lower()
    if "@" not in email or any(c.isspace() for c in email):
        raise UsersError(f"an OIDC identity is an e-mail address, not {email!r}")
    parsed = parse_role(role)
    _check_operator_id(parsed, operator_id)
    with _editing(path) as (file, store):
        operators = {k: v for k, v in store.operators.items() if k != email}
        if parsed == Role.OPERATOR:
            operators[email] = (operator_id or "").strip()
        _write(file, UserStore(store.users, {**store.roles, email: parsed}, operators))


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
        operators = {k: v for k, v in store.operators.items() if k in roles}
        _write(file, UserStore(users, roles, operators))
    return removed


def set_password(path: str | os.PathLike[str], name: str, password: str, cost: ScryptCost = DEFAULT_COST,
                 policy: PasswordPolicy = PasswordPolicy()) -> None:
    with _editing(path) as (file, store):
        if name not in store.users:
            raise UsersError(f"no local user {name!r} in {file}")
        old = store.users[name]
        _check_password(password, name, old.display_name, policy)
        updated = LocalUser(old.name, old.role, hash_password(password, cost), old.display_name, old.created_at,
                            old.operator_id)
        _write(file, UserStore({**store.users, name: updated}, store.roles, store.operators))


def list_users(path: str | os.PathLike[str]) -> list[User]:
    """Local users, then OIDC identities (source "oidc"), each sorted by name."""
    store = load(path)
    local = [u.user() for u in sorted(store.users.values(), key=lambda u: u.name)]
    return local + [User(email, role, None, "oidc", store.operators.get(email))
                    for email, role in sorted(store.roles.items())]


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
    if role is None:
        return None
    operator_id = store.operators.get(email)
    if role == Role.OPERATOR and not operator_id:
        return None  # an operator tied to no operator id would see nobody's calls: no access, as unlisted
    return User(email, role, claims.get("name") or None, "oidc", operator_id if role == Role.OPERATOR else None)


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
