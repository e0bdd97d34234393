"""The exceptions newsmon raises on purpose.

Everything here is an expected failure: the CLI turns it into one line on stderr and an exit code,
never a traceback.

    NewsmonError
    ├── ConfigError        bad config file or command-line value (exit 2)
    ├── LockedError        another run holds the lock
    ├── FetchError         a request failed or its answer was refused
    │   └── RefusedURL     the URL itself is not allowed (scheme, host); nothing was sent
    ├── ParseError         a fetched document is not what it should be (not a feed, entity declarations, ...)
    └── SendError          the digest could not be handed to the SMTP server (refused, down, TLS, login)
"""

from __future__ import annotations


class NewsmonError(Exception):
    """Base class of every error newsmon expects and reports as one line."""


class ConfigError(NewsmonError):
    """Config that cannot be used; the message names the file and the key."""


class LockedError(NewsmonError):
    """Another newsmon process holds the run lock of this database."""


class FetchError(NewsmonError):
    """A request failed, or its answer was refused (too large, too slow, bad status).

    `permanent` tells whether trying the same URL again later is pointless (404, too large, foreign host),
    as opposed to a failure that may pass (timeout, 5xx).
    """

    def __init__(self, message: str, *, url: str = "", status: int | None = None, permanent: bool = False):
        super().__init__(message)
        self.url = url
        self.status = status
        self.permanent = permanent


class RefusedURL(FetchError):
    """The URL was refused before connecting: not http(s), or its host is not allowed."""

    def __init__(self, message: str, *, url: str = ""):
        super().__init__(message, url=url, permanent=True)


class ParseError(NewsmonError):
    """A fetched document could not be used (not a feed, declares entities, not a sitemap...)."""


class SendError(NewsmonError):
    """The SMTP server could not be reached, refused TLS or the login, or refused the message; the message
    says which, in one line (`smtp 127.0.0.1:465: certificate refused: ...`)."""
