"""Dispute comments under retention and erasure: an operator's comment and a reviewer's answer are free text
about the call, so they go with its transcript (the outcome, who and when stay until the verdicts' term), and
purging a call takes its disputes and their resolutions. The pages then say the words were deleted."""

from __future__ import annotations

import duckdb

from storage import retention
from storage.db import connect
from tests.test_dispute_pages import _as, _shown
from tests.test_dispute_pages import site as site  # noqa: F401  (the fixture: users and calls)
from tests.test_rescore_and_coaching import db as db  # noqa: F401  (the fixture: 10 known calls)
from usecases import disputes
from usecases.users import Role, User

OPERATOR = User("ivanov.op", Role.OPERATOR, operator_id="ivanov")
REVIEWER = User("anna.qa", Role.REVIEWER)


def _comments(path) -> dict[str, tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {call: (d, r, outcome) for call, d, r, outcome in con.execute(
            "SELECT d.call_id, d.comment, r.comment, r.outcome FROM disputes d"
            " LEFT JOIN dispute_resolutions r USING (dispute_id)").fetchall()}


def test_comments_go_with_the_transcript_and_a_purge_takes_the_disputes(site):
    path = str(site)
    kept = disputes.raise_dispute(path, OPERATOR, "c00", "greeting", "Я поздоровался, Иван Петров, 8 916 123-45-67")
    gone = disputes.raise_dispute(path, OPERATOR, "c01", "greeting", "Приветствие было в начале")
    disputes.resolve(path, REVIEWER, kept, "upheld", "не слышно приветствия")
    disputes.resolve(path, REVIEWER, gone, "upheld", "клиент Иван Петров перебил")
    open_one = disputes.raise_dispute(path, OPERATOR, "c02", "greeting", "Прошу проверить")

    with connect(site) as con:
        counts = retention.delete_transcripts(con, ["c01", "c02"])
    assert counts["disputes.comment"] == 2 and counts["dispute_resolutions.comment"] == 1
    assert _comments(site) == {
        "c00": ("Я поздоровался, Иван Петров, 8 916 123-45-67", "не слышно приветствия", "upheld"),
        "c01": (None, None, "upheld"),  # the outcome stays, the words go
        "c02": (None, None, None),
    }
    mine = {d.dispute_id: d for d in disputes.my_disputes(path, OPERATOR)}
    assert mine[gone].comment is None and mine[gone].resolution.comment is None and mine[open_one].comment is None

    # the reviewer's Disputes page and the operator's page say the words were deleted, not "None"
    page = _shown(_as("app.py", "anna.qa").switch_page("views/disputes.py").run())
    assert "deleted with the transcript" in page and "None" not in page
    at = _as("app.py", "ivanov.op")
    assert not at.exception and "None" not in _shown(at)

    with connect(site) as con:
        retention.purge_calls(con, ["c01"], "retention")
    with duckdb.connect(str(site), read_only=True) as con:
        left = con.execute("SELECT count(*) FROM dispute_resolutions WHERE dispute_id = ?", [gone]).fetchone()[0]
    assert "c01" not in _comments(site) and left == 0  # the resolution went with its call
