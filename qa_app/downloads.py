"""Download buttons whose file reaches only the logged-in session that asked for it.

Why not ``st.download_button``: it hands the file to Streamlit's media store and the browser
fetches it from ``/media/<hash>``, an HTTP endpoint that checks no session and no role (a
deferred ``data=callable`` goes the same way once clicked). Whoever sees that URL once (a proxy
log, browser history, a shared screen) can fetch the export while the server holds it (issue
#15).

Why not guard ``/media`` instead: nothing on that HTTP request says which session it belongs to.
Streamlit 1.67's Starlette ``st.App`` takes middleware, but a middleware could only check a
cookie of our own, set at login, and a script run has no HTTP response to set it on (only page
JavaScript could, and then any script can read it); an authenticating proxy in front would be a
second login beside ``qa_app.auth``. Keeping the bytes off ``/media`` leaves no URL to guard.

Here the button is a small ``st.components.v2`` component (inline JavaScript, no HTTP route of
its own). A click is a trigger value on the session's websocket; the rerun that follows runs the
page's own role checks, builds the file, and sends it once, base64 inside the component's data,
over the same websocket; the browser saves it from a ``Blob`` (``<a download>``), as Streamlit's
own deferred download saves a fetched URL. The file is built only when asked for, and is not
sent again on later reruns.
"""

from __future__ import annotations

import base64
import functools
import secrets
from typing import Callable

import streamlit as st

from qa_app.i18n import _
from usecases.shared_database import DatabaseUnavailable

FileData = Callable[[], "bytes | str"]

_HTML = '<button type="button" class="callqa-download" data-testid="callqa-download"></button>'
_CSS = """
.callqa-download {
  font: inherit; font-family: var(--st-font, inherit); font-size: 0.875rem; line-height: 1.6;
  width: 100%; min-height: 2.5rem; padding: 0.25rem 0.75rem; cursor: pointer;
  color: var(--st-text-color, inherit); background: var(--st-background-color, transparent);
  border: 1px solid var(--st-border-color, rgba(49, 51, 63, 0.2));
  border-radius: var(--st-button-radius, var(--st-base-radius, 0.5rem));
}
.callqa-download:hover:enabled {
  border-color: var(--st-primary-color, #ff4b4b); color: var(--st-primary-color, #ff4b4b);
}
.callqa-download:disabled { cursor: progress; opacity: 0.6; }
"""
# Module state survives reruns (the module is loaded once per page): each file is saved once.
_JS = """
const saved = new Set();

export default function ({ data, parentElement, setTriggerValue }) {
  const button = parentElement.querySelector("button.callqa-download");
  button.textContent = data.label;  // text, never markup
  button.title = data.help || "";
  button.disabled = false;
  button.onclick = () => {
    button.disabled = true;
    setTriggerValue("requested", Date.now());
  };
  if (data.file === undefined || !data.nonce || saved.has(data.nonce)) return;
  saved.add(data.nonce);
  const raw = atob(data.file);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  const url = URL.createObjectURL(new Blob([bytes], { type: data.mime }));
  const link = document.createElement("a");
  link.href = url;
  link.download = data.file_name;
  link.style.display = "none";
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
"""

_button = st.components.v2.component("callqa_download", html=_HTML, css=_CSS, js=_JS)


def _asked_key(key: str) -> str:
    return f"callqa_download_asked:{key}"


def _ask(key: str) -> None:
    """The click's callback. It runs before the page's script, so before the login gate: it only
    notes the request; the file is built in the script, after the gate and the page's checks."""
    st.session_state[_asked_key(key)] = True


def _file(data: FileData, file_name: str, mime: str) -> dict:
    content = data()
    if isinstance(content, str):
        content = content.encode("utf-8")
    return {"file": base64.b64encode(content).decode("ascii"), "file_name": file_name, "mime": mime,
            "nonce": secrets.token_hex(8)}


def download_button(label: str, data: FileData, *, file_name: str, mime: str, key: str,
                    help: str | None = None) -> None:
    """A button that saves ``data()`` as ``file_name`` in the browser; ``data`` runs only when clicked."""
    payload: dict = {"label": label, "help": help}
    error = None
    if st.session_state.pop(_asked_key(key), False):
        try:
            payload.update(_file(data, file_name, mime))
        except (DatabaseUnavailable, OSError) as err:  # a busy database, a report gone: say so, keep the page
            error = _("{file} could not be prepared: {reason}").format(file=file_name, reason=err)
    _button(key=key, data=payload, on_requested_change=functools.partial(_ask, key))
    if error:
        st.error(error)
