"""Handing a message to the SMTP server: the only module of digests that talks to the network; the
digest and the alert emails both go through `send_message`.

`security`: "ssl" is implicit TLS (port 465), "starttls" upgrades a plain connection (port 587) and
refuses to go on when the server does not offer it, "none" sends in clear (a local relay). Certificates
are verified against the system's CAs, or only against `ca_file` when it is set; the host name must match.
Every failure becomes one `SendError` line naming the server and what went wrong.
"""

from __future__ import annotations

import email.policy
import logging
import smtplib
import socket
import ssl
from collections.abc import Callable, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from newsmon.digests.settings import SmtpSettings
from newsmon.errors import SendError

log = logging.getLogger(__name__)


def new_message(*, subject: str, sender: str, recipients: Sequence[str], message_id: str, now: datetime
                ) -> EmailMessage:
    """An email with its headers set, CRLF line ends (as sent): the digest, the instant alert and the admins'
    alerts add their parts to it."""
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id
    return msg


def tls_context(ca_file: Path | None) -> ssl.SSLContext:
    try:
        return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    except (OSError, ssl.SSLError) as e:
        raise SendError(f"cannot load smtp.ca_file {ca_file}: {getattr(e, 'strerror', None) or e}") from None


def send_message(message: bytes, *, smtp: SmtpSettings, sender: str, recipients: Sequence[str],
                 password: str | None) -> dict[str, str]:
    """Send `message` (the exact bytes) to `recipients`. Returns the recipients the server refused while
    accepting others ({address: reason}); raises SendError when nothing was sent."""
    where = f"smtp {smtp.host}:{smtp.port}"
    if not recipients:
        raise SendError(f"{where}: no recipients")
    if smtp.username and not password:
        raise SendError(f"{where}: smtp.username is set but the environment variable {smtp.password_env} "
                        "holding the password is empty or unset")
    client: smtplib.SMTP | None = None
    try:
        client = _connect(smtp, where)
        if smtp.username:
            client.login(smtp.username, password or "")
        refused = client.sendmail(sender, list(recipients), message)
        log.info("%s: sent %d bytes to %d recipients", where, len(message), len(recipients) - len(refused))
        return {addr: _reply(code, text) for addr, (code, text) in refused.items()}
    except SendError:
        raise
    except (smtplib.SMTPException, OSError) as e:
        raise SendError(f"{where}: {_explain(e, smtp, sender)}") from None
    finally:
        if client is not None:
            _quit(client)


def _connect(smtp: SmtpSettings, where: str) -> smtplib.SMTP:
    """A connection that said EHLO, over TLS unless `security` is "none"."""
    context = tls_context(smtp.ca_file) if smtp.security != "none" else None
    client: smtplib.SMTP
    if smtp.security == "ssl":
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout_seconds, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds)
    try:
        client.ehlo()
        if smtp.security == "starttls":
            if not client.has_extn("starttls"):
                raise SendError(f"{where}: the server does not offer STARTTLS (smtp.security = \"starttls\")")
            client.starttls(context=context)
            client.ehlo()
    except BaseException:
        _quit(client)
        raise
    return client


def _quit(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def _explain(e: smtplib.SMTPException | OSError, smtp: SmtpSettings, sender: str) -> str:
    """What went wrong, in words a user can act on: the first entry of _EXPLANATIONS that fits."""
    for kind, explain in _EXPLANATIONS:
        if isinstance(e, kind):
            return explain(e, smtp, sender)
    return str(getattr(e, "strerror", None) or e)


def _auth(e: Any, smtp: SmtpSettings, sender: str) -> str:
    return f"login as {smtp.username!r} refused: wrong user name or password ({_reply(e.smtp_code, e.smtp_error)})"


def _recipients(e: Any, smtp: SmtpSettings, sender: str) -> str:
    return "every recipient refused: " + "; ".join(f"{a}: {_reply(c, t)}" for a, (c, t) in e.recipients.items())


def _certificate(e: Any, smtp: SmtpSettings, sender: str) -> str:
    return (f"certificate refused: {e.verify_message or e.reason}"
            + (f" (smtp.ca_file is {smtp.ca_file})" if smtp.ca_file else ""))


_Explain = Callable[[Any, SmtpSettings, str], str]
# Order matters: subclasses before the classes they derive from.
_EXPLANATIONS: tuple[tuple[type[BaseException], _Explain], ...] = (
    (smtplib.SMTPAuthenticationError, _auth),
    (smtplib.SMTPNotSupportedError, lambda e, smtp, sender: f"{e} (check smtp.security and smtp.username)"),
    (smtplib.SMTPRecipientsRefused, _recipients),
    (smtplib.SMTPSenderRefused,
     lambda e, smtp, sender: f"sender {sender} refused: {_reply(e.smtp_code, e.smtp_error)}"),
    (smtplib.SMTPResponseException, lambda e, smtp, sender: f"the server answered {_reply(e.smtp_code, e.smtp_error)}"),
    (ssl.SSLCertVerificationError, _certificate),
    (ssl.SSLError, lambda e, smtp, sender: f"TLS failed: {e.reason or e} (check smtp.security and smtp.port)"),
    (smtplib.SMTPServerDisconnected, lambda e, smtp, sender: f"the server closed the connection "
                                                             f"({e or 'no reason given'}); check smtp.security and "
                                                             "smtp.port"),
    (ConnectionRefusedError,
     lambda e, smtp, sender: "connection refused (is the server running, is the port right?)"),
    (socket.gaierror, lambda e, smtp, sender: f"unknown host ({e.strerror})"),
    (TimeoutError, lambda e, smtp, sender: f"timed out after {smtp.timeout_seconds:g} s"),
)


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}"
