"""Chat and web hooks through Apprise (Slack, Microsoft Teams, Mattermost, Telegram, a generic JSON web hook
and the rest of what Apprise knows): a short text message to one destination.

Apprise is imported here and only when something is checked or sent, so commands that send nothing do not
load it. Each destination is its own Apprise object, so a send is one attempt at one place and its outcome is
known: a failure raises SendError with Apprise's reason, and the caller keeps the message for the next try.
The reasons are collected from Apprise's own log records (its logger is otherwise kept quiet: newsmon says
what failed, once, in its own words).
"""

from __future__ import annotations

import logging
from types import ModuleType
from typing import Any

from newsmon.digests.settings import ChatTarget
from newsmon.errors import SendError

_quiet = logging.getLogger("apprise")


def _apprise() -> ModuleType:
    import apprise

    _quiet.propagate = False   # its records still reach send_chat's callback; newsmon's log says the outcome
    return apprise


def _asset() -> Any:  # noqa: ANN401 - an apprise.AppriseAsset (the module is imported late)
    """No plugins from the user's home directory, no persistent storage on disk: only what newsmon installed."""
    apprise = _apprise()
    return apprise.AppriseAsset(plugin_paths=[], storage_mode="memory")


def problem(target: ChatTarget) -> str | None:
    """Why Apprise cannot send to `target` (an unknown service, a malformed URL), or None."""
    apprise = _apprise()
    if apprise.Apprise.instantiate(target.url, asset=_asset()) is None:
        return "is not a URL Apprise can send to (see the Apprise wiki for each service's URL)"
    return None


def send_chat(target: ChatTarget, *, title: str, body: str) -> None:
    """Post one message; SendError (naming the destination as `target.shown`, never its secrets) if it fails."""
    apprise = _apprise()
    sender = apprise.Apprise(asset=_asset())
    if not sender.add(target.url):
        raise SendError(f"{target.shown}: not a URL Apprise can send to")
    reasons: list[str] = []
    try:
        result = sender.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT,
                               log_callback=lambda entry, _plugin: reasons.append(str(entry.message))
                               if entry.level in ("WARNING", "ERROR", "CRITICAL") else None)
    except Exception as e:  # noqa: BLE001 - a plugin's own bug is one failed delivery, not a crashed run
        raise SendError(f"{target.shown}: {e}") from None
    if not result:
        raise SendError(f"{target.shown}: {reasons[-1] if reasons else 'not delivered'}")
