"""Signals, for commands that must stop cleanly.

A one-shot command (`run`, `backfill`) treats SIGTERM (systemd stop, kill) like Ctrl-C: the work in flight
is cancelled at an await — never half-way through a database write — the run is recorded as interrupted and
the lock released. The daemon instead waits for signals as events (`SignalQueue`) in its main loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import signal
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_cancellable(work: Coroutine[Any, Any, T]) -> T:
    """asyncio.run, with SIGTERM cancelling the work as Ctrl-C does; the caller sees KeyboardInterrupt
    either way."""

    async def cancellable() -> T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
        try:
            return await work
        finally:
            loop.remove_signal_handler(signal.SIGTERM)
            interrupt_on_sigterm()

    try:
        return asyncio.run(cancellable())
    except asyncio.CancelledError:
        raise KeyboardInterrupt from None


def interrupt_on_sigterm() -> None:
    """From now on SIGTERM raises KeyboardInterrupt, as Ctrl-C does."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)


class SignalQueue:
    """Signals as events the main loop waits for: the handlers only note the signal, and the wake-up fd
    makes the wait return at once."""

    def __init__(self, signums: tuple[int, ...]) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)
        self.pending: list[int] = []
        self._previous = {s: signal.signal(s, self._note) for s in signums}
        self._previous_fd = signal.set_wakeup_fd(self._write)

    def _note(self, signum: int, frame: Any) -> None:
        self.pending.append(signum)

    def wait(self, timeout: float) -> int | None:
        if not self.pending:
            select.select([self._read], [], [], timeout)
        with contextlib.suppress(BlockingIOError):
            while os.read(self._read, 512):
                pass
        for stop in (signal.SIGTERM, signal.SIGINT):
            if stop in self.pending:
                return stop
        return self.pending.pop(0) if self.pending else None

    def close(self) -> None:
        signal.set_wakeup_fd(self._previous_fd)
        for s, handler in self._previous.items():
            signal.signal(s, handler)
        os.close(self._read)
        os.close(self._write)
