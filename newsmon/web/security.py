"""Who may use the workbench, and the headers and tokens that keep a browser from being turned against it.

On loopback with no users and no token configured, anyone on this machine may use it (as they may read the
database file). Off loopback the server refuses to start without one of them (see `check_binding`). Passwords
are checked against argon2 hashes; a verified pair is remembered (as a keyed digest, never the password) so
that each page does not pay argon2's deliberate slowness again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from newsmon.errors import ConfigError

LOCAL_USER = "local"       # who judged, when nobody logs in (loopback without users)
TOKEN_USER = "token"       # who judged, with the bearer token
CSP = "default-src 'self'; img-src 'self'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; " \
      "base-uri 'none'"
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_binding(host: str, *, authenticates: bool) -> None:
    """Refuse to listen beyond this machine unless someone must log in."""
    if not is_loopback(host) and not authenticates:
        raise ConfigError(f"[serve] host {host} is reachable from other machines: set [serve] users or token_env "
                          "first (README: The workbench), or bind 127.0.0.1")


def hash_password(password: str) -> str:
    from argon2 import PasswordHasher

    return PasswordHasher().hash(password)


@dataclass
class Gate:
    """Checks the credentials of a request: HTTP Basic against `users` (name -> argon2 hash) or a bearer
    `token`. With neither, every request passes as LOCAL_USER (only allowed on loopback)."""

    users: Mapping[str, str]
    token: str = ""
    _key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    _verified: dict[str, str] = field(default_factory=dict)

    @property
    def open(self) -> bool:
        return not self.users and not self.token

    def who(self, authorization: str | None) -> str | None:
        """The user a request's Authorization header proves, or None."""
        if self.open:
            return LOCAL_USER
        if not authorization:
            return None
        scheme, _, value = authorization.partition(" ")
        scheme = scheme.lower()
        if scheme == "bearer" and self.token:
            return TOKEN_USER if hmac.compare_digest(value.strip().encode(), self.token.encode()) else None
        if scheme == "basic" and self.users:
            return self._basic(value.strip())
        return None

    def _basic(self, value: str) -> str | None:
        try:
            name, sep, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        hashed = self.users.get(name)
        if not sep or hashed is None:
            return None
        seen = hmac.new(self._key, f"{name}\x00{password}".encode(), hashlib.sha256).hexdigest()
        if self._verified.get(seen) == hashed:
            return name
        from argon2 import PasswordHasher
        from argon2.exceptions import InvalidHashError, VerificationError

        try:
            PasswordHasher().verify(hashed, password)
        except (VerificationError, InvalidHashError):
            return None
        if len(self._verified) > 1000:
            self._verified.clear()
        self._verified[seen] = hashed
        return name


class Csrf:
    """Tokens for forms: an HMAC of the user under a key made at start-up, so a page of another site cannot
    post a judgement in the analyst's name (it cannot read the token). A restart makes old forms stale: the
    page answers with a fresh form."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)

    def token(self, user: str) -> str:
        return hmac.new(self._key, f"csrf\x00{user}".encode(), hashlib.sha256).hexdigest()

    def valid(self, user: str, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.token(user), str(token))
