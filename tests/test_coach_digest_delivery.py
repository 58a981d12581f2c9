"""The morning digest's delivery (issue #18, item 6) to servers the test starts itself: a real SMTP server
(aiosmtpd on 127.0.0.1) receives the e-mail, in Russian, per team, to the configured addresses; a real HTTP
server receives the webhook's JSON; a server that cannot be reached gives a failure result, never an exception."""

from __future__ import annotations

import email
import logging
import ssl
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from reporting.i18n import Words
from usecases.digest_delivery import (
    MAX_CALLS,
    DigestCall,
    DigestSection,
    TeamDigest,
    deliver,
    recipients,
    render,
    webhook_url,
)
from usecases.settings import DigestSettings

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller", reason="aiosmtpd is a test dependency")
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402  (after the skip)

from tests.mail_servers import Inbox, free_port  # noqa: E402  (the smtp and hook fixtures are in conftest)

RU = Words("ru", "Europe/Moscow")
UNTIL = datetime(2026, 12, 7, 3, 0)  # UTC: 06:00 in Moscow
SINCE = UNTIL - timedelta(days=1)
APP = "https://qa.example.org:8501/"


def _digest(team: str = "support-1") -> TeamDigest:
    calls = tuple(DigestCall(f"id{i}", f"rec_{i}.wav", f"op.{i}", SINCE + timedelta(hours=i)) for i in range(7))
    return TeamDigest(team, SINCE, UNTIL, (
        DigestSection("critical", 7, calls),
        DigestSection("escalations", 1, calls[:1]),
        DigestSection("disputes", 2, calls[2:4]),
        DigestSection("sample", 0),
    ))


def _settings(**kw) -> DigestSettings:
    return DigestSettings(**{"webhook": "off", "smtp_host": "", "sender": "callqa@qa.example.org", **kw})


def _text(msg: email.message.EmailMessage, subtype: str) -> str:
    part = msg.get_body(preferencelist=(subtype,))
    assert part is not None, subtype
    return part.get_content()


def test_a_russian_digest_reaches_each_teams_addresses_by_email(smtp):
    inbox, port = smtp
    settings = _settings(smtp_host="127.0.0.1", smtp_port=port,
                         to=("support-1=lead1@qa.example.org", "*=head@qa.example.org",
                             "support-2=lead2@qa.example.org", "support-1=lead1@qa.example.org"))
    results = deliver(settings, "", [_digest("support-1"), _digest("support-2"), _digest("night")], RU, APP)
    assert [(r.team, r.channel, r.ok) for r in results] == [("support-1", "email", True), ("support-2", "email", True),
                                                            ("night", "email", True)]
    assert len(inbox.mail) == 3
    by_team = {msg["Subject"].split(" · ")[1]: (sender, to, msg) for sender, to, msg in inbox.mail}
    sender, to, msg = by_team["support-1"]
    assert sender == "callqa@qa.example.org" and to == ["lead1@qa.example.org", "head@qa.example.org"]
    assert by_team["support-2"][1] == ["head@qa.example.org", "lead2@qa.example.org"]
    assert by_team["night"][1] == ["head@qa.example.org"]  # only the catch-all address
    assert msg["Subject"] == "Утренняя сводка QA · support-1 · 07.12.2026"
    assert msg["To"] == "lead1@qa.example.org, head@qa.example.org"
    text = _text(msg, "plain")
    assert "Команда support-1: что ждёт проверяющих этим утром" in text
    assert "Звонки с 06.12.2026, 06:00 по 07.12.2026, 06:00." in text  # Moscow time
    assert "Критичные звонки: 7 звонков" in text and "Эскалации: 1 звонок" in text
    assert "Споры, ждущие решения: 2 спора" in text and "Аудиторская выборка на проверку: 0 звонков" in text
    assert "rec_0.wav · оператор op.0 · 06.12.2026, 06:00  https://qa.example.org:8501/call?call_id=id0" in text
    assert f"rec_{MAX_CALLS - 1}.wav" in text and f"rec_{MAX_CALLS}.wav" not in text  # five named...
    assert "и ещё 2" in text  # ...and how many more
    body = _text(msg, "html")
    assert '<a href="https://qa.example.org:8501/call?call_id=id0">rec_0.wav · оператор op.0' in body
    assert '<html lang="ru">' in body


def test_the_webhook_gets_the_digest_as_json(hook, smtp):
    url, received = hook
    inbox, port = smtp
    # The digest's own webhook is empty: the alert webhook takes it. No addresses for the team: no e-mail.
    settings = _settings(webhook="", smtp_host="127.0.0.1", smtp_port=port, to=("other=x@qa.example.org",))
    results = deliver(settings, url, [_digest()], RU, APP)
    assert [(r.channel, r.target, r.ok) for r in results] == [("webhook", url.split("/")[2], True)]
    assert inbox.mail == []
    [post] = received
    assert post["path"] == "/hooks/secret-token" and post["type"].startswith("application/json")
    payload = post["json"]
    assert payload["kind"] == "digest" and payload["team"] == "support-1"
    assert payload["text"].startswith("Утренняя сводка QA · support-1 · 07.12.2026")
    critical = payload["sections"][0]
    assert (critical["kind"], critical["title"], critical["count"]) == ("critical", "Критичные звонки", 7)
    assert [c["recording"] for c in critical["calls"]] == [f"rec_{i}.wav" for i in range(MAX_CALLS)]
    assert critical["calls"][0]["link"] == "https://qa.example.org:8501/call?call_id=id0"
    # Only what the app shows a reviewer: names, operators, times, counts.
    assert set(critical["calls"][0]) == {"call_id", "recording", "operator", "call_at", "link"}


def test_webhook_off_and_the_choice_of_url():
    assert webhook_url("off", "http://alerts/x") == "" and webhook_url("OFF", "") == ""
    assert webhook_url("", "http://alerts/x") == "http://alerts/x"
    assert webhook_url("https://digest/y", "http://alerts/x") == "https://digest/y"
    assert webhook_url("", "") == ""
    assert recipients(("a=1@x", "*=2@x", "b=3@x", "a=1@x"), "a") == ["1@x", "2@x"]
    assert recipients(("a=1@x",), "") == []


def test_unreachable_servers_give_failures_not_exceptions(caplog):
    closed = free_port()  # nothing listens there
    settings = _settings(webhook=f"http://127.0.0.1:{closed}/hook", smtp_host="127.0.0.1", smtp_port=closed,
                         to=("*=head@qa.example.org",))
    with caplog.at_level(logging.WARNING):
        results = deliver(settings, "", [_digest()], RU)
    assert [(r.channel, r.ok) for r in results] == [("webhook", False), ("email", False)]
    assert "ConnectionRefusedError" in results[1].error and results[1].target == "head@qa.example.org"
    assert any("digest e-mail" in r.message and "failed" in r.message for r in caplog.records)
    # A host that does not resolve: the same, a result.
    [bad] = deliver(_settings(smtp_host="no-such-host.invalid", smtp_port=25, to=("*=a@b.c",)), "", [_digest()], RU)
    assert not bad.ok and bad.error


def test_english_and_escaping():
    digest = TeamDigest("", SINCE, UNTIL, (DigestSection("critical", 1, (DigestCall("id", "<b>x</b>.wav"),)),))
    rendered = render(digest, Words("en", "Europe/Moscow"))
    assert rendered.subject == "Morning QA digest · no team · Dec 7, 2026"
    assert "<b>x</b>" not in rendered.html and "&lt;b&gt;x&lt;/b&gt;.wav" in rendered.html
    assert "Critical calls: 1 call" in rendered.text and "  - <b>x</b>.wav" in rendered.text  # no link: no address
    quiet = render(TeamDigest("t", SINCE, UNTIL, (DigestSection("sample", 0),)), RU)
    assert "Ничего не ждёт проверки." in quiet.text


# ---- login and encryption ----------------------------------------------------------------------------------


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"digest", b"s3cret")
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


def test_login_when_a_user_is_set():
    inbox = Inbox()
    controller = aiosmtpd_controller.Controller(inbox, hostname="127.0.0.1", port=free_port(),
                                                authenticator=_authenticator, auth_require_tls=False,
                                                auth_required=True, auth_exclude_mechanism=["LOGIN"])
    controller.start()
    try:
        base = dict(smtp_host="127.0.0.1", smtp_port=controller.port, to=("*=head@qa.example.org",))
        [anonymous] = deliver(_settings(**base), "", [_digest()], RU)
        assert not anonymous.ok  # the server wants a login
        [wrong] = deliver(_settings(**base, smtp_user="digest", smtp_password="nope"), "", [_digest()], RU)
        assert not wrong.ok and "Authentication" in wrong.error
        [right] = deliver(_settings(**base, smtp_user="digest", smtp_password="s3cret"), "", [_digest()], RU)
        assert right.ok, right.error
    finally:
        controller.stop()
    assert len(inbox.mail) == 1


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made here (cryptography)."""
    x509 = pytest.importorskip("cryptography.x509")
    import ipaddress

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_encrypted_delivery_with_login(certificate, security):
    cert_path, key_path = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert_path, key_path)
    trust = ssl.create_default_context(cafile=str(cert_path))
    inbox = Inbox()
    # aiosmtpd offers AUTH only after its own STARTTLS: on an implicit TLS port it cannot tell, so it is told.
    tls = {"tls_context": server_tls, "require_starttls": True} if security == "starttls" \
        else {"ssl_context": server_tls, "auth_require_tls": False}
    controller = aiosmtpd_controller.Controller(inbox, hostname="127.0.0.1", port=free_port(),
                                                authenticator=_authenticator, auth_required=True, **tls)
    controller.start()
    try:
        settings = _settings(smtp_host="127.0.0.1", smtp_port=controller.port, smtp_security=security,
                             smtp_user="digest", smtp_password="s3cret", to=("*=head@qa.example.org",))
        [sent] = deliver(settings, "", [_digest()], RU, tls_context=trust)
        assert sent.ok, sent.error
        # Without trusting the server's certificate (the system's CAs only), nothing is sent.
        [refused] = deliver(settings, "", [_digest()], RU)
        assert not refused.ok and "CERTIFICATE_VERIFY_FAILED" in refused.error
    finally:
        controller.stop()
    [(_, to, msg)] = inbox.mail
    assert to == ["head@qa.example.org"] and msg["Subject"].startswith("Утренняя сводка QA")
