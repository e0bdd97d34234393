"""Handing a message to the SMTP server: the only module of digests that talks to the network.

`security`: "ssl" is implicit TLS (port 465), "starttls" upgrades a plain connection (port 587) and
refuses to go on when the server does not offer it, "none" sends in clear (a local relay). Certificates
are verified against the system's CAs, or only against `ca_file` when it is set; the host name must match.
Every failure becomes one `SendError` line naming the server and what went wrong.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from collections.abc import Sequence
from pathlib import Path

from newsmon.config import SmtpConfig
from newsmon.errors import SendError

log = logging.getLogger(__name__)


def tls_context(ca_file: Path | None) -> ssl.SSLContext:
    try:
        return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    except (OSError, ssl.SSLError) as e:
        raise SendError(f"cannot load smtp.ca_file {ca_file}: {getattr(e, 'strerror', None) or e}") from None


def send_message(message: bytes, *, smtp: SmtpConfig, sender: str, recipients: Sequence[str],
                 password: str | None) -> dict[str, str]:
    """Send `message` (the exact bytes) to `recipients`. Returns the recipients the server refused while
    accepting others ({address: reason}); raises SendError when nothing was sent."""
    where = f"smtp {smtp.host}:{smtp.port}"
    if not recipients:
        raise SendError(f"{where}: no recipients")
    if smtp.username and not password:
        raise SendError(f"{where}: smtp.username is set but the environment variable {smtp.password_env} "
                        "holding the password is empty or unset")
    context = tls_context(smtp.ca_file) if smtp.security != "none" else None
    client: smtplib.SMTP | None = None
    try:
        if smtp.security == "ssl":
            client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout_seconds, context=context)
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds)
        client.ehlo()
        if smtp.security == "starttls":
            if not client.has_extn("starttls"):
                raise SendError(f"{where}: the server does not offer STARTTLS (smtp.security = \"starttls\")")
            client.starttls(context=context)
            client.ehlo()
        if smtp.username:
            client.login(smtp.username, password or "")
        refused = client.sendmail(sender, list(recipients), message)
        log.info("%s: sent %d bytes to %d recipients", where, len(message), len(recipients) - len(refused))
        return {addr: _reply(code, text) for addr, (code, text) in refused.items()}
    except SendError:
        raise
    except smtplib.SMTPAuthenticationError as e:
        raise SendError(f"{where}: login as {smtp.username!r} refused: wrong user name or password "
                        f"({_reply(e.smtp_code, e.smtp_error)})") from None
    except smtplib.SMTPNotSupportedError as e:
        raise SendError(f"{where}: {e} (check smtp.security and smtp.username)") from None
    except smtplib.SMTPRecipientsRefused as e:
        reasons = "; ".join(f"{a}: {_reply(c, t)}" for a, (c, t) in e.recipients.items())
        raise SendError(f"{where}: every recipient refused: {reasons}") from None
    except smtplib.SMTPSenderRefused as e:
        raise SendError(f"{where}: sender {sender} refused: {_reply(e.smtp_code, e.smtp_error)}") from None
    except smtplib.SMTPResponseException as e:
        raise SendError(f"{where}: the server answered {_reply(e.smtp_code, e.smtp_error)}") from None
    except ssl.SSLCertVerificationError as e:
        raise SendError(f"{where}: certificate refused: {e.verify_message or e.reason}"
                        f"{' (smtp.ca_file is ' + str(smtp.ca_file) + ')' if smtp.ca_file else ''}") from None
    except ssl.SSLError as e:
        raise SendError(f"{where}: TLS failed: {e.reason or e} (check smtp.security and smtp.port)") from None
    except smtplib.SMTPServerDisconnected as e:
        raise SendError(f"{where}: the server closed the connection ({e or 'no reason given'}); "
                        "check smtp.security and smtp.port") from None
    except ConnectionRefusedError:
        raise SendError(f"{where}: connection refused (is the server running, is the port right?)") from None
    except socket.gaierror as e:
        raise SendError(f"{where}: unknown host ({e.strerror})") from None
    except TimeoutError:
        raise SendError(f"{where}: timed out after {smtp.timeout_seconds:g} s") from None
    except (smtplib.SMTPException, OSError) as e:
        raise SendError(f"{where}: {getattr(e, 'strerror', None) or e}") from None
    finally:
        if client is not None:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}"
