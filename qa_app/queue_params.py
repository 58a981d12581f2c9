"""The review queue's filters as link parameters (``?operator=op.ivanov&flag=escalation&sort=newest``), both ways.

The queue writes its filters into the page's address, so a reload, the browser's back button, a
shared link, a saved view and the call page's *next call* all bring back the same queue. A link can
be edited by anyone who has it: every value is checked against what the filter can take, and one
that is not usable is left out with a note (as ``qa_app.links`` does for the call page), never a
traceback. Only what differs from the default is written, so the plain queue has a plain address.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Literal, cast, get_args

from qa_app.i18n import N_, _
from qa_app.mdtext import md
from storage.review_queue import FilterOptions, QueueFilter, Sort

__all__ = ["KEYS", "QueueView", "Parsed", "parse", "to_params", "default_period"]

DEFAULT_DAYS = 30
SORTS: tuple[Sort, ...] = get_args(Sort)
REVIEWED = ("any", "no", "yes")
QueueList = Literal["flagged", "sample"]
QUEUE_LISTS: tuple[QueueList, ...] = get_args(QueueList)  # the flagged calls, or the audit sample (issue #18)
# Link parameter -> the filter it sets (shown in the note when a value is ignored).
LISTS: dict[str, str] = {"operator": N_("Operator"), "team": N_("Team"), "queue": N_("Queue"),
                         "language": N_("Language"), "flag": N_("Flag")}
KEYS = ("from", "to", *LISTS, "score", "reviewed", "sort", "all", "list", "page")
_SCORE = re.compile(r"([0-9]{1,3})-([0-9]{1,3})")
_PAGE = re.compile(r"[0-9]{1,6}")
MAX_VALUES = 200  # more values than any filter offers: the link was not made by the app


@dataclass(frozen=True)
class QueueView:
    """What the reviewer sees in the queue: period (inclusive days; None = the last 30 days of data),
    the filters, the order and the page."""

    since: date | None = None
    until: date | None = None
    operators: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    queues: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    score: tuple[int, int] = (0, 100)
    reviewed: str = "any"
    sort: Sort = "priority"
    show_all: bool = False
    page: int = 1
    queue_list: QueueList = "flagged"  # "sample": the calls of the audit samples, flagged or not

    def period(self, options: FilterOptions) -> tuple[date, date]:
        """The period's first and last day: as chosen, else the last 30 days of data."""
        start, end = default_period(options)
        return self.since or start, self.until or end

    def queue_filter(self, options: FilterOptions) -> QueueFilter:
        first, last = self.period(options)
        low, high = self.score
        return QueueFilter(
            since=datetime.combine(first, time()),
            until=datetime.combine(last + timedelta(days=1), time()),
            operators=self.operators,
            teams=self.teams,
            queues=self.queues,
            languages=self.languages,
            flags=self.flags,
            flagged_only=not self.show_all and self.queue_list == "flagged",
            min_score=None if low == 0 else float(low),
            max_score=None if high == 100 else float(high),
            reviewed={"any": None, "no": False, "yes": True}[self.reviewed],
            sampled=True if self.queue_list == "sample" else None,
        )

    def lists(self) -> dict[str, tuple[str, ...]]:
        return {"operator": self.operators, "team": self.teams, "queue": self.queues, "language": self.languages,
                "flag": self.flags}


def default_period(options: FilterOptions) -> tuple[date, date]:
    """The last ``DEFAULT_DAYS`` days that have calls (not before the first call)."""
    end = (options.last or datetime.now()).date()
    start = end - timedelta(days=DEFAULT_DAYS - 1)
    if options.first is not None:
        start = max(start, options.first.date())
    return start, end


@dataclass(frozen=True)
class Parsed:
    view: QueueView
    problems: list[str] = field(default_factory=list)


def _ignored(field_name: str, raw: str, why: str) -> str:
    shown = raw if len(raw) <= 40 else raw[:40] + "…"
    return _("The link's “{field}” value ({value}) was ignored: {why}.").format(field=field_name, value=md(shown),
                                                                                  why=why)


def _day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw.strip()) if raw and len(raw.strip()) == 10 else None
    except ValueError:
        return None


def parse(params: Mapping[str, Sequence[str]], options: FilterOptions) -> Parsed:
    """The queue a link asks for (``params``: each key's values, as ``st.query_params.get_all`` gives them),
    each value checked against ``options``; what cannot be used is left at its default, with a note why."""
    problems: list[str] = []

    def one(key: str) -> str | None:
        values = [v for v in params.get(key, ()) if v is not None]
        return values[-1].strip() if values else None

    view = QueueView()
    since_raw, until_raw = one("from"), one("to")
    since, until = _day(since_raw), _day(until_raw)
    for raw, value, name in ((since_raw, since, N_("Period")), (until_raw, until, N_("Period"))):
        if raw and value is None:
            problems.append(_ignored(_(name), raw, _("not a day written as YYYY-MM-DD")))
    if since and until and since > until:
        problems.append(_ignored(_("Period"), f"{since_raw} – {until_raw}", _("the period ends before it starts")))
        since = until = None
    if since and not until:
        until = max(since, default_period(options)[1])
    if until and not since:
        since = min(until, default_period(options)[0])
    view = replace(view, since=since, until=until)

    allowed = {"operator": options.operators, "team": options.teams, "queue": options.queues,
               "language": options.languages, "flag": options.flags}
    chosen: dict[str, tuple[str, ...]] = {}
    for key, label in LISTS.items():
        values = [v.strip() for v in params.get(key, ()) if v and v.strip()][:MAX_VALUES]
        known = set(allowed[key])
        kept = tuple(dict.fromkeys(v for v in values if v in known))
        for unknown in dict.fromkeys(v for v in values if v not in known):
            problems.append(_ignored(_(label), unknown, _("there is no such value in this database")))
        chosen[key] = kept
    view = replace(view, operators=chosen["operator"], teams=chosen["team"], queues=chosen["queue"],
                   languages=chosen["language"], flags=chosen["flag"])

    score = one("score")
    if score:
        match = _SCORE.fullmatch(score)
        low, high = (int(match.group(1)), int(match.group(2))) if match else (-1, -1)
        if 0 <= low <= high <= 100:
            view = replace(view, score=(low, high))
        else:
            problems.append(_ignored(_("Score"), score, _("a score range is two numbers from 0 to 100, like 0-60")))
    reviewed = one("reviewed")
    if reviewed:
        if reviewed in REVIEWED:
            view = replace(view, reviewed=reviewed)
        else:
            problems.append(_ignored(_("Review state"), reviewed, _("not a review state")))
    sort = one("sort")
    if sort:
        if sort in SORTS:
            view = replace(view, sort=cast(Sort, sort))  # one of Sort's values, checked above
        else:
            problems.append(_ignored(_("Sort"), sort, _("not an order the queue offers")))
    shown = one("all")
    if shown:
        if shown in ("0", "1"):
            view = replace(view, show_all=shown == "1")
        else:
            problems.append(_ignored(_("Unflagged too"), shown, _("not 0 or 1")))
    queue_list = one("list")
    if queue_list:
        if queue_list in QUEUE_LISTS:
            view = replace(view, queue_list=cast(QueueList, queue_list))  # one of QueueList's values, checked above
        else:
            problems.append(_ignored(_("List"), queue_list, _("not a list the queue offers")))
    page = one("page")
    if page:
        if _PAGE.fullmatch(page) and int(page) >= 1:
            view = replace(view, page=int(page))
        else:
            problems.append(_ignored(_("Page"), page, _("not a page number")))
    return Parsed(view, problems)


def to_params(view: QueueView, options: FilterOptions, with_page: bool = True) -> dict[str, str | list[str]]:
    """``view`` as link parameters: only what differs from the default queue."""
    params: dict[str, str | list[str]] = {}
    first, last = view.period(options)
    if (first, last) != default_period(options):
        params["from"], params["to"] = first.isoformat(), last.isoformat()
    for key, values in view.lists().items():
        if values:
            params[key] = list(values)
    if view.score != (0, 100):
        params["score"] = f"{view.score[0]}-{view.score[1]}"
    if view.reviewed != "any":
        params["reviewed"] = view.reviewed
    if view.sort != "priority":
        params["sort"] = view.sort
    if view.show_all:
        params["all"] = "1"
    if view.queue_list != "flagged":
        params["list"] = view.queue_list
    if with_page and view.page > 1:
        params["page"] = str(view.page)
    return params


def from_query(query: object) -> dict[str, list[str]]:
    """The queue's keys from ``st.query_params`` (anything with ``get_all``)."""
    get_all = getattr(query, "get_all")
    return {key: list(get_all(key)) for key in KEYS if get_all(key)}
