"""Sending the digest to a real SMTP server (aiosmtpd on 127.0.0.1): plain, STARTTLS, implicit TLS with a CA
the test makes, refused certificates and logins; once per week, --force, a server that is down, --dry-run, --out.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import func, select

from newsmon.commands.digest import run_digest
from newsmon.config import load_config
from newsmon.demo.configs import write_config
from newsmon.digests.mail import send_message
from newsmon.digests.settings import SmtpSettings
from newsmon.digests.week import parse_week
from newsmon.errors import ConfigError, SendError
from newsmon.storage.engine import open_store
from newsmon.storage.models import DigestOutbox, DigestSent
from tests.conftest import run_cli, seed_digest_weeks

NOW = dt.datetime(2025, 9, 15, 4, 0, tzinfo=dt.UTC)   # Monday 08:00 Baku: W37 just ended
TOPICS = """
[topics.sco_azerbaijan]
description = "SCO and Azerbaijan"
all = ["sco", "azerbaijan"]

[topics.sco_azerbaijan.groups]
sco = ["SCO"]
azerbaijan = ["Azerbaijan*"]
"""
MESSAGE = (b"From: newsmon@example.org\r\nTo: a@example.org\r\nSubject: test\r\nMessage-ID: <t@example.org>\r\n"
           b"\r\nhello\r\n")


# ---- a throw-away CA and server certificate for 127.0.0.1 ----

@dataclass(frozen=True)
class Certs:
    ca: Path            # the CA that signed the server's certificate
    other_ca: Path      # a CA that did not
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx


def _make_certs(directory: Path) -> Certs:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def ca(cn: str) -> tuple[Any, Any]:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(name(cn)).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
                .not_valid_after(now + dt.timedelta(days=30))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                             content_commitment=False, key_encipherment=False,
                                             data_encipherment=False, key_agreement=False, encipher_only=False,
                                             decipher_only=False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .sign(key, hashes.SHA256()))
        return key, cert

    ca_key, ca_cert = ca("newsmon test CA")
    _, other_cert = ca("some other CA")
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(name("127.0.0.1")).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    paths = Certs(ca=directory / "ca.pem", other_ca=directory / "other-ca.pem", cert=directory / "server.pem",
                  key=directory / "server.key")
    paths.ca.write_bytes(ca_cert.public_bytes(pem))
    paths.other_ca.write_bytes(other_cert.public_bytes(pem))
    paths.cert.write_bytes(cert.public_bytes(pem))
    paths.key.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return paths


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return _make_certs(tmp_path_factory.mktemp("certs"))


# ---- aiosmtpd as the server ----

@dataclass
class Inbox:
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted"

    def parsed(self, i: int = -1) -> Any:
        return message_from_bytes(self.messages[i][2], policy=policy.default)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    """aiosmtpd in a thread: mode "none", "starttls" (STARTTLS required) or "ssl" (implicit TLS)."""

    def __init__(self, mode: str, certs: Certs | None = None, *, port: int | None = None,
                 login: tuple[str, str] | None = None):
        self.inbox = Inbox()
        self.port = port or free_port()
        kwargs: dict[str, Any] = {}
        if mode == "ssl":
            assert certs is not None
            kwargs["ssl_context"] = certs.server_context()
        elif mode == "starttls":
            assert certs is not None
            kwargs.update(tls_context=certs.server_context(), require_starttls=True)
        if login is not None:
            def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
                ok = (auth_data.login.decode(), auth_data.password.decode()) == login
                return AuthResult(success=ok, handled=False)
            kwargs.update(authenticator=authenticate, auth_required=True)
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, **kwargs)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


def smtp_config(port: int, security: str, ca_file: Path | None = None, username: str = "") -> SmtpSettings:
    return SmtpSettings(host="127.0.0.1", port=port, security=security, username=username,
                      password_env="NEWSMON_SMTP_PASSWORD", timeout_seconds=5, ca_file=ca_file)


# ---- transport ----

def test_plain_smtp_delivers_to_every_recipient() -> None:
    with SmtpServer("none") as server:
        refused = send_message(MESSAGE, smtp=smtp_config(server.port, "none"), sender="newsmon@example.org",
                               recipients=["a@example.org", "b@example.org"], password=None)
    assert refused == {}
    ((sender, rcpts, data),) = server.inbox.messages
    assert sender == "newsmon@example.org" and rcpts == ["a@example.org", "b@example.org"]
    assert data.replace(b"\r\n", b"\n").endswith(b"hello\n")


def test_starttls_with_a_private_ca(certs: Certs) -> None:
    with SmtpServer("starttls", certs) as server:
        send_message(MESSAGE, smtp=smtp_config(server.port, "starttls", certs.ca), sender="newsmon@example.org",
                     recipients=["a@example.org"], password=None)
    assert len(server.inbox.messages) == 1


def test_implicit_tls_with_a_private_ca(certs: Certs) -> None:
    with SmtpServer("ssl", certs) as server:
        send_message(MESSAGE, smtp=smtp_config(server.port, "ssl", certs.ca), sender="newsmon@example.org",
                     recipients=["a@example.org"], password=None)
    assert len(server.inbox.messages) == 1


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_a_certificate_from_another_ca_is_refused(certs: Certs, security: str) -> None:
    with SmtpServer(security, certs) as server, pytest.raises(SendError) as err:
        send_message(MESSAGE, smtp=smtp_config(server.port, security, certs.other_ca), sender="newsmon@example.org",
                     recipients=["a@example.org"], password=None)
    assert f"smtp 127.0.0.1:{server.port}: certificate refused: " in str(err.value)
    assert "\n" not in str(err.value) and server.inbox.messages == []


def test_the_system_trust_store_refuses_a_self_signed_ca(certs: Certs) -> None:
    with SmtpServer("ssl", certs) as server, pytest.raises(SendError, match="certificate refused"):
        send_message(MESSAGE, smtp=smtp_config(server.port, "ssl"), sender="newsmon@example.org",
                     recipients=["a@example.org"], password=None)


def test_login_with_a_wrong_password_is_a_clear_error(certs: Certs) -> None:
    with SmtpServer("starttls", certs, login=("digest", "s3cret")) as server:
        cfg = smtp_config(server.port, "starttls", certs.ca, username="digest")
        with pytest.raises(SendError) as err:
            send_message(MESSAGE, smtp=cfg, sender="newsmon@example.org", recipients=["a@example.org"],
                         password="wrong")
        assert str(err.value).startswith(f"smtp 127.0.0.1:{server.port}: login as 'digest' refused: wrong user "
                                         "name or password (535")
        with pytest.raises(SendError, match="NEWSMON_SMTP_PASSWORD holding the password is empty or unset"):
            send_message(MESSAGE, smtp=cfg, sender="newsmon@example.org", recipients=["a@example.org"],
                         password=None)
        send_message(MESSAGE, smtp=cfg, sender="newsmon@example.org", recipients=["a@example.org"],
                     password="s3cret")
    assert len(server.inbox.messages) == 1


def test_connection_refused_and_wrong_security_are_one_line() -> None:
    port = free_port()
    with pytest.raises(SendError, match=rf"^smtp 127.0.0.1:{port}: connection refused"):
        send_message(MESSAGE, smtp=smtp_config(port, "none"), sender="n@example.org", recipients=["a@example.org"],
                     password=None)
    with SmtpServer("none") as server, pytest.raises(SendError, match="does not offer STARTTLS"):
        send_message(MESSAGE, smtp=smtp_config(server.port, "starttls"), sender="n@example.org",
                     recipients=["a@example.org"], password=None)


# ---- the digest command ----

def digest_config(tmp_path: Path, port: int, *, security: str = "none", ca_file: Path | None = None,
                  recipients: tuple[str, ...] = ("analyst@example.org", "desk@example.org")) -> Path:
    sources = [{"name": n, "feeds": [f"http://127.0.0.1:9/{n}.rss"]} for n in ("trend", "azernews", "newsaz")]
    extra = f"""
    [digest]
    timezone = "Asia/Baku"
    topics = ["sco_azerbaijan"]
    recipients = [{", ".join(f'"{r}"' for r in recipients)}]
    sender = "newsmon@example.org"

    [smtp]
    host = "127.0.0.1"
    port = {port}
    security = "{security}"
    timeout_seconds = 5
    {f'ca_file = "{ca_file}"' if ca_file else ""}
    """
    return write_config(tmp_path, sources, storage_url=f"sqlite:///{tmp_path / 'newsmon.db'}",
                        topics=TOPICS, extra=extra)


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[Any]:
    store = open_store(f"sqlite:///{tmp_path / 'newsmon.db'}")
    seed_digest_weeks(store)
    yield store
    store.close()


def counts(store: Any) -> tuple[int, int]:
    with store.read() as s:
        return (s.scalar(select(func.count()).select_from(DigestSent)),
                s.scalar(select(func.count()).select_from(DigestOutbox)))


def test_digest_is_sent_once_and_again_with_force(tmp_path: Path, seeded: Any, certs: Certs) -> None:
    with SmtpServer("starttls", certs) as server:
        config = digest_config(tmp_path, server.port, security="starttls", ca_file=certs.ca)
        code, out, err = run_cli("--config", str(config), "digest", "--week", "2025-W36")
        assert (code, err) == (0, "")
        assert out.strip().startswith("digest 2025-W36: sent to 2 recipients — SCO–Azerbaijan monitor · "
                                      "2025-W36 (1–7 Sep) · 5 articles")
        code, out, err = run_cli("--config", str(config), "digest", "--week", "2025-W36")
        assert (code, out.strip()) == (0, "digest 2025-W36: already sent; --force sends it again")
        assert len(server.inbox.messages) == 1
        code, out, _ = run_cli("--config", str(config), "digest", "--week", "2025-W36", "--force")
        assert code == 0 and "sent to 2 recipients" in out
    assert len(server.inbox.messages) == 2
    first, second = server.inbox.parsed(0), server.inbox.parsed(1)
    assert first["Message-ID"] != second["Message-ID"]
    assert first["Subject"] == "SCO–Azerbaijan monitor · 2025-W36 (1–7 Sep) · 5 articles"
    assert server.inbox.messages[0][1] == ["analyst@example.org", "desk@example.org"]
    assert [p.get_content_type() for p in first.walk()] == [
        "multipart/alternative", "text/plain", "multipart/related", "text/html", "image/png"]
    with seeded.read() as s:
        rows = s.execute(select(DigestSent).order_by(DigestSent.id)).scalars().all()
    assert [(r.week, r.topics, r.recipients, r.articles) for r in rows] == [
        ("2025-W36", ["sco_azerbaijan"], ["analyst@example.org", "desk@example.org"], 5)] * 2
    assert [r.message_id for r in rows] == [first["Message-ID"], second["Message-ID"]]
    assert counts(seeded) == (2, 0)


def test_server_down_exits_1_records_nothing_and_the_next_call_sends_the_same_message(
        tmp_path: Path, seeded: Any, certs: Certs) -> None:
    port = free_port()
    config = digest_config(tmp_path, port, security="ssl", ca_file=certs.ca)
    code, out, err = run_cli("--config", str(config), "digest", "--week", "2025-W36")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"newsmon: error: digest 2025-W36 not sent: smtp 127.0.0.1:{port}: connection refused")
    assert counts(seeded) == (0, 1)
    with seeded.read() as s:
        kept = s.get(DigestOutbox, ("digest", "2025-W36", "email"))
        kept_id, kept_bytes = kept.message_id, bytes(kept.message)
        assert kept.attempts == 1 and "connection refused" in kept.last_error
    with SmtpServer("ssl", certs, port=port) as server:
        code, out, err = run_cli("--config", str(config), "digest", "--week", "2025-W36")
    assert (code, err) == (0, "") and "the message kept from the failed send" in out
    assert len(server.inbox.messages) == 1
    assert server.inbox.parsed()["Message-ID"] == kept_id
    assert server.inbox.messages[0][2].replace(b"\r\n", b"\n") == kept_bytes.replace(b"\r\n", b"\n")
    assert counts(seeded) == (1, 0)


def test_dry_run_sends_nothing_and_out_writes_three_files(tmp_path: Path, seeded: Any) -> None:
    with SmtpServer("none") as server:
        config = digest_config(tmp_path, server.port)
        code, out, err = run_cli("--config", str(config), "digest", "--week", "2025-W36", "--dry-run",
                                 "--out", str(tmp_path / "out"))
    assert (code, err) == (0, "") and "not sent (--dry-run)" in out
    assert server.inbox.messages == [] and counts(seeded) == (0, 0)
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == ["digest-2025-W36.eml", "digest-2025-W36.html", "digest-2025-W36.txt"]
    eml = message_from_bytes((tmp_path / "out" / "digest-2025-W36.eml").read_bytes(), policy=policy.default)
    assert eml["Subject"] == "SCO–Azerbaijan monitor · 2025-W36 (1–7 Sep) · 5 articles"
    html = (tmp_path / "out" / "digest-2025-W36.html").read_text("utf-8")
    assert 'src="data:image/png;base64,' in html and "cid:" not in html   # opens in a browser as is
    text = (tmp_path / "out" / "digest-2025-W36.txt").read_text("utf-8")
    assert text == eml.get_body(("plain",)).get_content().replace("\r\n", "\n")


def test_default_week_empty_week_and_unfinished_week(tmp_path: Path, seeded: Any) -> None:
    with SmtpServer("none") as server:
        cfg = load_config(digest_config(tmp_path, server.port, recipients=("analyst@example.org",)))
        # default: the last complete week at NOW (Mon 15 Sep 08:00 Baku) is 2025-W37
        outcome = run_digest(cfg, seeded, now=NOW)
        assert (outcome.status, outcome.week.label, outcome.articles) == ("sent", "2025-W37", 2)
        # an empty week still sends, a short digest
        outcome = run_digest(cfg, seeded, week=parse_week("2025-W30", cfg.digest.timezone), now=NOW)
        assert outcome.status == "sent" and outcome.subject.endswith("· no articles")
        # the running week is refused (it would block the full week later), previewing it is fine
        with pytest.raises(ConfigError, match="week 2025-W38 is not over"):
            run_digest(cfg, seeded, week=parse_week("2025-W38", cfg.digest.timezone), now=NOW)
        assert run_digest(cfg, seeded, week=parse_week("2025-W38", cfg.digest.timezone), now=NOW,
                          dry_run=True).status == "not-sent"
    assert len(server.inbox.messages) == 2
    assert "Nothing was tagged this week." in server.inbox.parsed(1).get_body(("plain",)).get_content()


def test_bad_week_is_a_usage_error(tmp_path: Path) -> None:
    config = digest_config(tmp_path, 25)
    code, _, err = run_cli("--config", str(config), "digest", "--week", "2025-W60")
    assert code == 2 and "2025 has no ISO week 60" in err and "Traceback" not in err
