"""The exceptions newsmon raises on purpose: the whole tree, in one leaf module every layer may import.

Everything here is an expected failure: the CLI turns it into one line on stderr and an exit code, never
a traceback. Each layer raises the errors of its own trade; only the CLI decides what the user reads.

    NewsmonError
    ├── ConfigError          bad config file or command-line value                        exit 2
    │   ├── RuleError        a topic rule that cannot be compiled (classifiers)
    │   └── QueryError       a search query that cannot be parsed (storage.search)
    ├── StorageError         the database cannot be opened or migrated (storage)          exit 1
    ├── LockedError          another newsmon holds the lock (storage)                     exit 1
    ├── FetchError           a request failed or its answer was refused (pipeline.fetch)
    │   └── RefusedURL       the URL itself is not allowed (scheme, host); nothing was sent
    ├── RequestBudgetSpent   the request budget (`backfill --max-requests`) is used up; nothing was sent
    ├── ParseError           a fetched document is not what it should be (not a feed, entity declarations, ...)
    ├── ExtractionError      an article page could not be extracted (too large, undecodable, too slow)
    ├── SendError            a message could not be handed to the SMTP server (digests.mail)
    └── WriteError           a file the user asked for (`--out`) could not be written             exit 1
"""

from __future__ import annotations


class NewsmonError(Exception):
    """Base class of every error newsmon expects and reports as one line."""


class ConfigError(NewsmonError):
    """Config that cannot be used; the message names the file and the key."""


class RuleError(ConfigError):
    """A bad topic rule. str() is one line naming the topic and the key, group or term at fault; the shell
    prefixes the config file's path."""

    def __init__(self, message: str, *, topic: str, term: str | None = None) -> None:
        super().__init__(message)
        self.topic = topic
        self.term = term  # the offending term (or group name a rule refers to); None for key errors


class QueryError(ConfigError):
    """A search query that cannot be understood (an unbalanced quote, a lone operator, too long). str() is one
    line saying what is wrong and where, meant for the search page as much as for the command line."""


class StorageError(NewsmonError):
    """The database cannot be opened or migrated (wrong URL, server down, missing driver, unreadable file)."""


class LockedError(NewsmonError):
    """Another newsmon process holds the lock of this database."""


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


class RequestBudgetSpent(NewsmonError):
    """The fetcher's request budget is used up: no further request is sent. Not a FetchError, because it
    says nothing about the URL: the work stops where it is and a later call continues it."""


class ParseError(NewsmonError):
    """A fetched document could not be used (not a feed, declares entities, not a sitemap...)."""


class ExtractionError(NewsmonError):
    """A page could not be extracted at all (too large, undecodable, too slow, worker crashed).

    `permanent`: the same page will fail again (too large, undecodable), as opposed to a time-out or a
    worker that died."""

    def __init__(self, message: str, *, permanent: bool = True):
        super().__init__(message)
        self.permanent = permanent


class WriteError(NewsmonError):
    """A file or folder the user named could not be written (permission, a file where a folder should be,
    disk full); the message names the path and the cause."""


class SendError(NewsmonError):
    """The SMTP server could not be reached, refused TLS or the login, or refused the message; the message
    says which, in one line (`smtp 127.0.0.1:465: certificate refused: ...`)."""
