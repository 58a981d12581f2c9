"""The call page's way through the review queue: back to the queue with its filters, ← previous / next →.

The queue puts its filters into the call's link (``qa_app.queue_params``); this bar reads them back,
asks where the call stands in that filtered, sorted queue (one query, ``storage.review_queue.neighbours``)
and links the calls around it with the same filters, so a reviewer walks the morning's queue call by
call and comes back to the page of the queue the call is on.
"""

from __future__ import annotations

import streamlit as st

from qa_app import data, queue_params
from qa_app.i18n import _, words
from storage.review_queue import Neighbours

__all__ = ["draw"]

CALL_PAGE = "views/call.py"
QUEUE_PAGE = "views/queue.py"


def draw(db: str, call_id: str) -> None:
    """The bar at the top of the call page (``call_id`` is the call shown)."""
    options = data.filter_options(db)
    parsed = queue_params.parse(queue_params.from_query(st.query_params), options)
    view = parsed.view
    params = queue_params.to_params(view, options, with_page=False)
    here = data.queue_neighbours(db, call_id, view.queue_filter(options), view.sort)
    back = dict(params)
    if here.position is not None:
        page = (here.position - 1) // data.PAGE_SIZE + 1
        if page > 1:
            back["page"] = str(page)
    with st.container(horizontal=True, vertical_alignment="center", key="queue_nav"):
        st.page_link(QUEUE_PAGE, label=_("Review queue"), icon=":material/arrow_back:", query_params=back)
        if here.previous is not None or here.next is not None or here.position is not None:
            _queue_steps(here, params)  # (none of them: no such call, or an empty queue; the page says which)
    for problem in parsed.problems:
        st.warning(problem, icon=":material/link_off:")


def _queue_steps(here: Neighbours, params: dict) -> None:
    _step(here.previous, _("Previous call"), ":material/chevron_left:", params, "queue_previous")
    if here.position is not None:
        st.caption(_("Call {position} of {total} in the queue").format(
            position=words().integer(here.position), total=words().integer(here.total)), width="content")
    else:
        st.caption(_("This call is no longer in the filtered queue ({total} there)").format(
            total=words().integer(here.total)), width="content")
    _step(here.next, _("Next call"), ":material/chevron_right:", params, "queue_next")


def _go(call_id: str, params: dict) -> None:
    """Opens ``call_id`` with the queue's filters (a link to the page it is on does not reload it: Streamlit
    treats it as the same page, so the step rewrites this page's address before the run)."""
    st.query_params.from_dict({"call_id": call_id, **params})


def _step(call_id: str | None, label: str, icon: str, params: dict, key: str) -> None:
    """The neighbouring call, with the queue's filters; greyed at either end of the queue."""
    st.button(label, key=key, icon=icon, disabled=call_id is None, on_click=_go, args=(call_id, params),
              help=_("The queue ends here.") if call_id is None else None)
