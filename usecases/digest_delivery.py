"""Delivering the morning digest (issue #18): one ``TeamDigest`` per reviewer team, worded in the reader's
language, POSTed to the digest webhook and e-mailed (plain text and HTML) to the team's addresses.

What goes out is what the app shows a reviewer: counts, recording names, operator ids and call times, with
links to the call page when the app's address is known; never transcripts or evidence quotes. Delivery never
raises into the nightly flow: each attempt is a ``DeliveryResult`` (and a warning in the log when it failed).

Settings (``settings.digest``): ``webhook`` ("" = the alert webhook, "off" = none); ``smtp_host`` ("" = no
e-mail), ``smtp_port``, ``smtp_security`` (none, starttls, ssl), ``smtp_user``/``smtp_password`` (a login when
a user is set), ``sender``, and ``to`` as ``TEAM=address`` entries (``*=address`` gets every team's digest).
"""

from __future__ import annotations

import html
import logging
import smtplib
import ssl
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING, Literal, Sequence

from reporting.i18n import N_, Words
from usecases.alerts import WEBHOOK_TIMEOUT_S, post_webhook

if TYPE_CHECKING:
    from usecases.settings import DigestSettings, Settings

log = logging.getLogger(__name__)

SMTP_TIMEOUT_S = 10.0
# Calls named per section; the count says how many there are in all.
MAX_CALLS = 5

SectionKind = Literal["critical", "escalations", "disputes", "sample"]
SECTION_KINDS: tuple[SectionKind, ...] = ("critical", "escalations", "disputes", "sample")
SECTION_TITLES: dict[str, str] = {
    "critical": N_("Critical calls"),
    "escalations": N_("Escalations"),
    "disputes": N_("Disputes waiting"),
    "sample": N_("Audit sample to review"),
}


@dataclass(frozen=True)
class DigestCall:
    """A call as the app names it: its recording, operator and time (UTC)."""

    call_id: str
    recording: str
    operator_id: str | None = None
    call_at: datetime | None = None


@dataclass(frozen=True)
class DigestSection:
    """How many of one kind wait (``count``), and the first of them (up to ``MAX_CALLS`` are shown)."""

    kind: SectionKind
    count: int
    calls: tuple[DigestCall, ...] = ()


@dataclass(frozen=True)
class TeamDigest:
    """One team's morning digest: the night's period (UTC) and its sections, in ``SECTION_KINDS`` order."""

    team: str  # "" for calls without a team
    since: datetime
    until: datetime
    sections: tuple[DigestSection, ...]
    notes: tuple[str, ...] = field(default=())  # lines already worded in the reader's language, shown last

    @property
    def waiting(self) -> int:
        return sum(s.count for s in self.sections)


@dataclass(frozen=True)
class RenderedDigest:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class DeliveryResult:
    """One attempt: the digest of ``team`` by ``channel`` to ``target`` (the webhook's host, or the addresses)."""

    team: str
    channel: Literal["webhook", "email"]
    target: str
    ok: bool
    error: str = ""


# ---- words ---------------------------------------------------------------------------------------------


def call_link(app_url: str, call_id: str) -> str:
    """The call page in the app at ``app_url`` ("" when the address is not known: no link)."""
    if not app_url:
        return ""
    return f"{app_url.rstrip('/')}/call?{urllib.parse.urlencode({'call_id': call_id})}"


def _team(team: str, _: Words) -> str:
    return team or _("no team")


def _count(section: DigestSection, _: Words) -> str:
    if section.kind == "disputes":
        return _.plural("{n} dispute", "{n} disputes", section.count)
    return _.plural("{n} call", "{n} calls", section.count)


def _call_words(call: DigestCall, _: Words) -> str:
    parts = [call.recording]
    if call.operator_id:
        parts.append(_("operator {operator}").format(operator=call.operator_id))
    if call.call_at is not None:
        parts.append(_.when(call.call_at))
    return " · ".join(parts)


def _more(section: DigestSection, _: Words) -> int:
    return max(section.count - len(section.calls[:MAX_CALLS]), 0)


def render(digest: TeamDigest, words: Words, app_url: str = "") -> RenderedDigest:
    """The e-mail's subject, plain text and HTML in ``words``' language and time zone."""
    _ = words
    team = _team(digest.team, _)
    subject = _("Morning QA digest · {team} · {day}").format(team=team, day=_.day(digest.until))
    period = _("Calls from {since} to {until}.").format(since=_.when(digest.since), until=_.when(digest.until))
    heading = _("Team {team}: what waits for the reviewers this morning").format(team=team)
    nothing = _("Nothing waits for the reviewers.")
    lines = [heading, period, ""]
    parts = [f"<h2>{html.escape(heading)}</h2>", f"<p>{html.escape(period)}</p>"]
    for section in digest.sections:
        title = _(SECTION_TITLES[section.kind])
        count = _count(section, _)
        lines.append(f"{title}: {count}")
        parts.append(f"<h3>{html.escape(title)}: {html.escape(count)}</h3>")
        items = []
        for call in section.calls[:MAX_CALLS]:
            name, link = _call_words(call, _), call_link(app_url, call.call_id)
            lines.append(f"  - {name}" + (f"  {link}" if link else ""))
            shown = html.escape(name)
            items.append(f'<li><a href="{html.escape(link, quote=True)}">{shown}</a></li>' if link
                         else f"<li>{shown}</li>")
        more = _more(section, _)
        if more and section.calls:
            extra = _.plural("and {n} more", "and {n} more", more)
            lines.append(f"  {extra}")
            items.append(f"<li>{html.escape(extra)}</li>")
        if items:
            parts.append("<ul>" + "".join(items) + "</ul>")
        lines.append("")
    if not digest.waiting:
        lines.append(nothing)
        parts.append(f"<p>{html.escape(nothing)}</p>")
    for note in digest.notes:
        lines.append(note)
        parts.append(f"<p>{html.escape(note)}</p>")
    footer = _("Sent by callqa after the night's run.")
    lines += ["", footer]
    parts.append(f'<p style="color:#666">{html.escape(footer)}</p>')
    body = (f'<!doctype html><html lang="{html.escape(_.locale)}"><head><meta charset="utf-8">'
            f"<title>{html.escape(subject)}</title></head><body>{''.join(parts)}</body></html>")
    return RenderedDigest(subject, "\n".join(lines).rstrip() + "\n", body)


def webhook_payload(digest: TeamDigest, words: Words, app_url: str = "") -> dict:
    """``text`` (readable as is by Slack-compatible incoming webhooks) and the same figures as fields."""
    rendered = render(digest, words, app_url)
    return {
        "text": f"{rendered.subject}\n\n{rendered.text}",
        "kind": "digest",
        "team": digest.team,
        "since": digest.since.isoformat(),
        "until": digest.until.isoformat(),
        "sections": [{
            "kind": s.kind, "title": words(SECTION_TITLES[s.kind]), "count": s.count,
            "calls": [{"call_id": c.call_id, "recording": c.recording, "operator": c.operator_id,
                       "call_at": None if c.call_at is None else c.call_at.isoformat(),
                       "link": call_link(app_url, c.call_id) or None} for c in s.calls[:MAX_CALLS]],
        } for s in digest.sections],
    }


# ---- where it goes ----------------------------------------------------------------------------------------


def webhook_url(digest_webhook: str, alert_webhook: str) -> str:
    """The digest's webhook: its own, else (empty) the alerts', or none ("off")."""
    if digest_webhook.strip().lower() == "off":
        return ""
    return digest_webhook.strip() or alert_webhook.strip()


def recipients(to: Sequence[str], team: str) -> list[str]:
    """The addresses of ``team``'s digest among ``TEAM=address`` entries (``*=address``: every team's)."""
    out = []
    for entry in to:
        name, _, address = entry.partition("=")
        if name.strip() in ("*", team) and address.strip() and address.strip() not in out:
            out.append(address.strip())
    return out


def message(rendered: RenderedDigest, sender: str, to: Sequence[str]) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = rendered.subject
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    return msg


def send_email(digest_settings: DigestSettings, msg: EmailMessage, to: Sequence[str],
               tls_context: ssl.SSLContext | None = None) -> str:
    """Send ``msg`` through the configured SMTP server; "" when sent, else why not (never raises).
    ``tls_context``: the certificates to trust (default: the system's)."""
    s = digest_settings
    context = tls_context or ssl.create_default_context()
    try:
        if s.smtp_security == "ssl":
            server: smtplib.SMTP = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=SMTP_TIMEOUT_S, context=context)
        else:
            server = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=SMTP_TIMEOUT_S)
        with server:
            server.ehlo()
            if s.smtp_security == "starttls":
                server.starttls(context=context)
                server.ehlo()
            if s.smtp_user:
                server.login(s.smtp_user, s.smtp_password)
            refused = server.send_message(msg, from_addr=s.sender, to_addrs=list(to))
        if refused:
            return "refused: " + ", ".join(sorted(refused))
        return ""
    except (smtplib.SMTPException, OSError, ValueError) as err:  # refused, timed out, bad host, TLS, login
        return f"{type(err).__name__}: {err}"


def deliver(digest_settings: DigestSettings, alert_webhook: str, digests: Sequence[TeamDigest], words: Words,
            app_url: str = "", tls_context: ssl.SSLContext | None = None,
            logger: logging.Logger | logging.LoggerAdapter | None = None) -> list[DeliveryResult]:
    """Each team's digest to the webhook (when one is set) and by e-mail (when an SMTP server is set and the
    team has addresses). Every attempt is returned; failures are logged too, never raised."""
    logger = logger or log
    url = webhook_url(digest_settings.webhook, alert_webhook)
    out: list[DeliveryResult] = []
    for digest in digests:
        if url:
            sent = post_webhook(url, webhook_payload(digest, words, app_url), WEBHOOK_TIMEOUT_S, logger)
            out.append(DeliveryResult(digest.team, "webhook", urllib.parse.urlsplit(url).netloc, sent.ok, sent.error))
        to = recipients(digest_settings.to, digest.team)
        if not digest_settings.smtp_host or not to:
            continue
        error = send_email(digest_settings, message(render(digest, words, app_url), digest_settings.sender, to), to,
                           tls_context)
        if error:
            logger.warning("digest e-mail for team %r through %s:%s failed: %s", digest.team,
                           digest_settings.smtp_host, digest_settings.smtp_port, error)
        out.append(DeliveryResult(digest.team, "email", ", ".join(to), not error, error))
    return out


def deliver_digests(settings: Settings, digests: Sequence[TeamDigest], app_url: str = "",
                    logger: logging.Logger | logging.LoggerAdapter | None = None) -> list[DeliveryResult]:
    """``deliver`` with the site's settings: ``settings.digest``, the alert webhook, the site's language."""
    return deliver(settings.digest, settings.alerts.webhook, digests, settings.interface.words(), app_url,
                   logger=logger)
