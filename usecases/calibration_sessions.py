"""Reviewer calibration sessions: a lead picks calls and reviewers, each reviewer scores every call blind,
and the closed session shows how far the reviewers agree per criterion and where the machine stands.

Who may do what (checked here, whatever page or URL asks):
- a lead (``users.can_lead_calibration``) creates sessions and closes their own (an admin any);
- a participating reviewer answers while the session is open, and sees only their own answers;
- a session is visible to its lead, its reviewers and admins; nobody else can open it.

Blindness: the sheet a reviewer scores (``blind_sheet``) holds the calls' criteria ids and the reviewer's own
answers, nothing else; the machine's verdicts and the other reviewers' answers are read only for the results,
which exist once every reviewer has answered everything (for the lead and admins) or the lead closed the
session (for its reviewers too). Answers can change until the session is closed.

The statistics (``results``): per criterion Cohen's kappa (2 reviewers) or Fleiss' kappa (3 or more) with a
95% interval from a bootstrap over the calls (pipeline.stats.rater_agreement, seeded), and the pairwise
percent agreement; per call x criterion the reviewers' majority (none on a tie) beside the machine's verdict.
A reviewer who did not answer a criterion on every call is left out of that criterion's kappa (Fleiss and
Cohen need every rater on every call), and the page says who.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass

import numpy as np

from pipeline.stats import rater_agreement
from reporting.i18n import N_, WordedError
from storage import calibration_sessions as store
from storage.calibration_sessions import Candidate, SessionCall, SessionRow
from usecases import users
from usecases.shared_database import TRY_AGAIN, DatabaseBusy, connection
from usecases.users import User

VERDICTS = store.VERDICTS
# Below this many calls a kappa's interval is too wide to tell good agreement from chance: the page says so.
FEW_CALLS = 10
# Below this many calls no interval is drawn: a bootstrap over 2-4 calls draws the same few calls again and
# again, and its interval can look narrow while it means nothing.
MIN_INTERVAL_CALLS = 5


class CalibrationRefused(WordedError, ValueError):
    """A request the rules refuse (not a participant, session closed, nothing picked); the message says why."""


# ---- reads ----------------------------------------------------------------------------------------------


def candidates(db: str, limit: int = 500) -> list[Candidate]:
    with connection(db, read_only=True) as con:
        return store.candidates(con, limit)


def reviewers_to_pick(users_file) -> list[User]:
    """Everyone in the users file who may review, i.e. may take part in a session."""
    return [u for u in users.list_users(users_file) if users.can_review(u)]


def visible_sessions(db: str, user: User) -> list[SessionRow]:
    """The sessions ``user`` leads or takes part in (an admin: all of them), newest first."""
    with connection(db, read_only=True) as con:
        return store.sessions(con, None if users.can_admin(user) else user.name)


def may_open(user: User, session: SessionRow) -> bool:
    return users.can_admin(user) or session.created_by == user.name or user.name in session.reviewers


def may_manage(user: User, session: SessionRow) -> bool:
    """Close it, and follow who has answered how much (never what)."""
    return users.can_admin(user) or (session.created_by == user.name and users.can_lead_calibration(user))


def open_session(db: str, session_id: str, user: User) -> SessionRow:
    """The session, if ``user`` may see it; otherwise refused with the same words as a session that does not
    exist, so a URL says nothing about sessions one is not part of."""
    with connection(db, read_only=True) as con:
        found = store.session(con, session_id)
    if found is None or not may_open(user, found):
        raise CalibrationRefused(N_("There is no calibration session “{session}” for you."), session=session_id)
    return found


@dataclass(frozen=True)
class BlindSheet:
    """What a participant scores: the calls, each call's criteria, and their own answers so far. No machine
    verdict and no other reviewer's answer is in it."""

    session: SessionRow
    calls: list[SessionCall]
    criteria: dict[str, list[str]]  # call_id -> criterion ids
    mine: dict[tuple[str, str], str]  # (call_id, criterion_id) -> this reviewer's verdict

    def answered(self, call_id: str) -> int:
        return sum(1 for c in self.criteria.get(call_id, []) if (call_id, c) in self.mine)


def blind_sheet(db: str, session_id: str, user: User) -> BlindSheet:
    session = open_session(db, session_id, user)
    if user.name not in session.reviewers:
        raise CalibrationRefused(N_("You do not take part in the calibration session “{session}”."),
                                 session=session.name)
    with connection(db, read_only=True) as con:
        calls = store.session_calls(con, session_id)
        questions = store.criteria(con, session_id)
        mine = store.answers(con, session_id, user.name)
    criteria: dict[str, list[str]] = {c.call_id: [] for c in calls}
    for call_id, criterion_id in questions:
        criteria.setdefault(call_id, []).append(criterion_id)
    return BlindSheet(session, calls, criteria, {(c, k): v for c, k, _r, v in mine})


@dataclass(frozen=True)
class Progress:
    reviewer: str
    answered: int
    questions: int

    @property
    def done(self) -> bool:
        return self.answered >= self.questions


def progress(db: str, session_id: str, user: User) -> list[Progress]:
    """How many of the session's questions each reviewer has answered (counts only, never the verdicts)."""
    session = open_session(db, session_id, user)
    with connection(db, read_only=True) as con:
        questions = len(store.criteria(con, session_id))
        counts = Counter(r for _c, _k, r, _v in store.answers(con, session_id))
    return [Progress(r, counts.get(r, 0), questions) for r in session.reviewers]


# ---- writes ---------------------------------------------------------------------------------------------


def create_session(db: str, name: str, lead: User, call_ids: list[str], reviewers: list[str]) -> str:
    """A new open session; its id. Refuses a lead without the right, no name, no call, fewer than 2 reviewers."""
    if not users.can_lead_calibration(lead):
        raise CalibrationRefused(N_("Your role cannot lead calibration sessions."))
    name = " ".join((name or "").split())
    if not name:
        raise CalibrationRefused(N_("Give the session a name."))
    call_ids = list(dict.fromkeys(call_ids))
    reviewers = list(dict.fromkeys(reviewers))
    if not call_ids:
        raise CalibrationRefused(N_("Pick at least one call."))
    if len(reviewers) < 2:
        raise CalibrationRefused(N_("Pick at least two reviewers: agreement needs two or more."))
    session_id = uuid.uuid4().hex[:12]
    try:
        with connection(db, read_only=False) as con:
            store.create(con, session_id, name, lead.name, call_ids, reviewers)
    except DatabaseBusy as err:
        raise CalibrationRefused(TRY_AGAIN, path=db) from err
    return session_id


def answer(db: str, session_id: str, call_id: str, user: User, verdicts: dict[str, str]) -> bool:
    """Stores ``user``'s blind verdicts on one call (criterion -> pass|fail|na). Returns True when every reviewer
    has now answered every question (the lead can read the results and close the session)."""
    sheet = blind_sheet(db, session_id, user)
    if sheet.session.closed:
        raise CalibrationRefused(N_("The session “{session}” is closed: answers can no longer change."),
                                 session=sheet.session.name)
    asked = set(sheet.criteria.get(call_id, []))
    if not asked or not set(verdicts) <= asked:
        raise CalibrationRefused(N_("That call or criterion is not part of the session."))
    if any(v not in VERDICTS for v in verdicts.values()):
        raise CalibrationRefused(N_("A verdict is pass, fail or not applicable."))
    try:
        with connection(db, read_only=False) as con:
            store.save_answers(con, session_id, call_id, user.name, verdicts)
            questions = len(store.criteria(con, session_id))
            counts = Counter(r for _c, _k, r, _v in store.answers(con, session_id))
            return all(counts.get(r, 0) >= questions for r in sheet.session.reviewers)
    except DatabaseBusy as err:
        raise CalibrationRefused(TRY_AGAIN, path=db) from err


def close_session(db: str, session_id: str, user: User) -> bool:
    """Closes the session (its lead or an admin); False when it was closed already."""
    session = open_session(db, session_id, user)
    if not may_manage(user, session):
        raise CalibrationRefused(N_("Only the session's lead or an administrator can close it."))
    try:
        with connection(db, read_only=False) as con:
            return store.close(con, session_id, user.name)
    except DatabaseBusy as err:
        raise CalibrationRefused(TRY_AGAIN, path=db) from err


# ---- results --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionAgreement:
    criterion_id: str
    calls: int
    raters: tuple[str, ...]  # the reviewers who answered this criterion on every call
    method: str  # "cohen" | "fleiss" | "" (fewer than 2 raters: no kappa)
    kappa: float | None  # None: undefined (one verdict only, or fewer than 2 raters)
    low: float | None  # the 95% bootstrap interval; None under MIN_INTERVAL_CALLS calls
    high: float | None
    agreement: float | None  # pairwise percent agreement (share of reviewer pairs agreeing, mean over calls)
    one_verdict: bool  # every rating was the same verdict: kappa undefined, agreement 100%
    machine_agrees: int  # calls where the machine's verdict equals the reviewers' majority
    machine_compared: int  # calls with a majority (not a tie)


@dataclass(frozen=True)
class CellResult:
    """One call x criterion: what each reviewer said, the majority, and the machine."""

    call_id: str
    file_name: str
    criterion_id: str
    verdicts: dict[str, str]  # reviewer -> verdict
    consensus: str | None  # the majority verdict; None on a tie
    agreement: float | None  # the share of reviewer pairs agreeing (None with under 2 answers)
    machine: str | None  # pass | fail | unknown | na, None: no verdict stored

    @property
    def machine_agrees(self) -> bool | None:
        return None if self.consensus is None else self.machine == self.consensus


@dataclass(frozen=True)
class CallDisagreement:
    call_id: str
    file_name: str
    disagreement: float  # mean over the call's criteria of the share of reviewer pairs disagreeing
    split_criteria: int  # criteria the reviewers did not all answer alike


@dataclass(frozen=True)
class SessionResults:
    session: SessionRow
    criteria: list[CriterionAgreement]  # least agreement first
    cells: list[CellResult]  # most disagreement first
    calls: list[CallDisagreement]  # most disagreement first
    left_out: dict[str, int]  # reviewer -> answers given, for those who did not answer everything
    questions: int
    resamples: int = rater_agreement.BOOTSTRAP_RESAMPLES
    seed: int = rater_agreement.BOOTSTRAP_SEED

    @property
    def machine_agrees(self) -> int:
        return sum(1 for c in self.cells if c.machine_agrees)

    @property
    def machine_compared(self) -> int:
        return sum(1 for c in self.cells if c.consensus is not None)

    @property
    def few_calls(self) -> bool:
        return len(self.calls) < FEW_CALLS


def _majority(verdicts: list[str]) -> str | None:
    ranked = Counter(verdicts).most_common()
    if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0]


def criterion_agreement(criterion_id: str, table: dict[str, dict[str, str]], raters: list[str],
                        machine: dict[str, str | None]) -> CriterionAgreement:
    """One criterion's figures from ``table[call_id][reviewer] = verdict`` over the calls that ask it."""
    calls = sorted(table)
    full = [r for r in raters if all(r in table[c] for c in calls)]
    agrees = compared = 0
    for c in calls:
        majority = _majority(list(table[c].values()))
        if majority is not None:
            compared += 1
            agrees += machine.get(c) == majority
    if len(full) < 2 or not calls:
        return CriterionAgreement(criterion_id, len(calls), tuple(full), "", None, None, None, None, False,
                                  agrees, compared)
    index = {v: i for i, v in enumerate(VERDICTS)}
    ratings = np.array([[index[table[c][r]] for r in full] for c in calls], dtype=int)
    value = rater_agreement.kappa(ratings, len(VERDICTS))
    interval = (rater_agreement.kappa_interval(ratings, len(VERDICTS)) if len(calls) >= MIN_INTERVAL_CALLS
                else None)
    one_verdict = len(np.unique(ratings)) == 1
    return CriterionAgreement(
        criterion_id, len(calls), tuple(full), "cohen" if len(full) == 2 else "fleiss",
        None if np.isnan(value) else value,
        None if interval is None else interval.low, None if interval is None else interval.high,
        rater_agreement.percent_agreement(ratings), one_verdict, agrees, compared)


def complete(db: str, session_id: str, user: User) -> bool:
    """Every reviewer has answered every question of the session."""
    return all(p.done for p in progress(db, session_id, user))


def may_read_results(db: str, session: SessionRow, user: User) -> bool:
    """Once closed, everyone who may open the session; before, its lead (or an admin) once all have answered."""
    return session.closed or (may_manage(user, session) and complete(db, session.session_id, user))


def results(db: str, session_id: str, user: User) -> SessionResults:
    """The session's agreement figures; refused while the answers must stay blind (``may_read_results``)."""
    session = open_session(db, session_id, user)
    if not may_read_results(db, session, user):
        raise CalibrationRefused(N_("The results appear when the session is closed."))
    with connection(db, read_only=True) as con:
        calls = store.session_calls(con, session_id)
        questions = store.criteria(con, session_id)
        given = store.answers(con, session_id)
        machine = store.machine_verdicts(con, session_id)
    names = {c.call_id: c.file_name for c in calls}
    answers: dict[tuple[str, str], dict[str, str]] = {q: {} for q in questions}
    for call_id, criterion_id, reviewer, verdict in given:
        if (call_id, criterion_id) in answers and reviewer in session.reviewers:
            answers[(call_id, criterion_id)][reviewer] = verdict
    cells = []
    for (call_id, criterion_id), verdicts in answers.items():
        n = len(verdicts)
        pairs = (sum(k * (k - 1) for k in Counter(verdicts.values()).values()) / (n * (n - 1))) if n >= 2 else None
        cells.append(CellResult(call_id, names.get(call_id, call_id), criterion_id, verdicts,
                                _majority(list(verdicts.values())), pairs, machine.get((call_id, criterion_id))))
    by_criterion: dict[str, dict[str, dict[str, str]]] = {}
    for cell in cells:
        by_criterion.setdefault(cell.criterion_id, {})[cell.call_id] = cell.verdicts
    figures = [
        criterion_agreement(k, table, list(session.reviewers),
                            {c: machine.get((c, k)) for c in table})
        for k, table in by_criterion.items()
    ]
    figures.sort(key=lambda f: (f.agreement if f.agreement is not None else 2.0,
                                f.kappa if f.kappa is not None else 2.0, f.criterion_id))
    per_call: dict[str, list[CellResult]] = {}
    for cell in cells:
        per_call.setdefault(cell.call_id, []).append(cell)
    disagreement = [
        CallDisagreement(c.call_id, c.file_name,
                         float(np.mean([1 - x.agreement for x in per_call.get(c.call_id, []) if x.agreement is not None]
                                       or [0.0])),
                         sum(1 for x in per_call.get(c.call_id, []) if x.agreement is not None and x.agreement < 1))
        for c in calls
    ]
    disagreement.sort(key=lambda d: (-d.disagreement, d.file_name))
    cells.sort(key=lambda x: (x.agreement if x.agreement is not None else 2.0, x.file_name, x.criterion_id))
    counts = Counter(r for _c, _k, r, _v in given)
    left_out = {r: counts.get(r, 0) for r in session.reviewers if counts.get(r, 0) < len(questions)}
    return SessionResults(session, figures, cells, disagreement, left_out, len(questions))
