"""The operator role in the users file and the CLI: an operator is tied to one operator id (local users
with ``operator_id``, SSO identities under ``[operators]``); without one they get no access."""

from __future__ import annotations

import io
import sys

import pytest

from callqa.cli import main
from usecases import users
from usecases.users import Role, UsersError

PASSWORD = "correct horse battery"
CHEAP = users.ScryptCost(n=2**10)


def _cli(monkeypatch, *argv: str, stdin: str = "") -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main(list(argv))


def test_an_operator_needs_an_operator_id_and_keeps_it_in_the_file(tmp_path):
    path = tmp_path / "users.toml"
    with pytest.raises(UsersError, match="--operator-id"):
        users.add_user(path, "ivanova", "operator", PASSWORD, cost=CHEAP)
    with pytest.raises(UsersError, match="only for the operator role"):
        users.add_user(path, "anna", "reviewer", PASSWORD, cost=CHEAP, operator_id="op.x")
    users.add_user(path, "ivanova", "operator", PASSWORD, cost=CHEAP, operator_id=" op.ivanova ")
    users.add_user(path, "anna", "reviewer", PASSWORD, cost=CHEAP)
    assert 'operator_id = "op.ivanova"' in path.read_text()
    logged = users.verify(path, "ivanova", PASSWORD)
    assert logged is not None and (logged.role, logged.operator_id) == (Role.OPERATOR, "op.ivanova")
    assert users.can_see_own_evaluations(logged) and not users.is_staff(logged)
    users.set_password(path, "ivanova", PASSWORD + " again", cost=CHEAP)  # a new password keeps the operator id
    again = users.verify(path, "ivanova", PASSWORD + " again")
    assert again is not None and again.operator_id == "op.ivanova"
    reviewer = users.verify(path, "anna", PASSWORD)
    assert reviewer is not None and reviewer.operator_id is None and users.is_staff(reviewer)


def test_an_sso_operator_without_an_operator_id_gets_no_access(tmp_path):
    path = tmp_path / "users.toml"
    users.add_oidc_role(path, "Ivanova@Example.com", "operator", "op.ivanova")
    users.add_oidc_role(path, "boss@example.com", "admin")
    with pytest.raises(UsersError, match="--operator-id"):
        users.add_oidc_role(path, "petrova@example.com", "operator")
    store = users.load(path)
    assert store.operators == {"ivanova@example.com": "op.ivanova"}
    seen = users.oidc_user(store, {"email": "ivanova@example.com", "email_verified": True})
    assert seen is not None and (seen.role, seen.operator_id, seen.source) == (Role.OPERATOR, "op.ivanova", "oidc")
    # A hand-edited file granting the role without the [operators] line: refused, as an unlisted identity.
    path.write_text(path.read_text().replace('"ivanova@example.com" = "op.ivanova"\n', ""))
    assert users.load(path).roles["ivanova@example.com"] == Role.OPERATOR
    assert users.oidc_user(users.load(path), {"email": "ivanova@example.com"}) is None
    # Re-granting another role drops the operator id; removing the identity drops it too.
    users.add_oidc_role(path, "ivanova@example.com", "operator", "op.ivanova")
    users.add_oidc_role(path, "ivanova@example.com", "reviewer")
    assert users.load(path).operators == {}
    users.add_oidc_role(path, "ivanova@example.com", "operator", "op.ivanova")
    users.remove_user(path, "ivanova@example.com")
    assert users.load(path).operators == {}


def test_cli_adds_and_lists_an_operator(tmp_path, monkeypatch, capsys):
    f = ["--users", str(tmp_path / "users.toml")]
    assert _cli(monkeypatch, "users", "add", "ivanova", "--role", "operator", "--password-stdin", *f,
                stdin=PASSWORD + "\n") != 0
    assert "--operator-id" in capsys.readouterr().err
    assert _cli(monkeypatch, "users", "add", "ivanova", "--role", "operator", "--operator-id", "op.ivanova",
                "--password-stdin", *f, stdin=PASSWORD + "\n") == 0
    assert "as operator op.ivanova" in capsys.readouterr().out
    assert _cli(monkeypatch, "users", "add", "iv@example.com", "--role", "operator", "--operator-id", "op.iv",
                "--sso", *f) == 0
    capsys.readouterr()
    assert _cli(monkeypatch, "users", "list", "--json", *f) == 0
    listed = capsys.readouterr().out
    assert '"operator_id": "op.ivanova"' in listed and '"operator_id": "op.iv"' in listed
