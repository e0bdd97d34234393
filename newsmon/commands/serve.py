"""`newsmon serve`: the workbench on a port, until SIGTERM or Ctrl-C (uvicorn finishes the answers under way).

The socket is bound here, before uvicorn starts, so a port in use is one line and exit 1 rather than a log
message; a host other than loopback without users or a token is refused before anything listens."""

from __future__ import annotations

import logging
import os
import signal
import socket
from collections.abc import Callable, Mapping
from types import FrameType

from newsmon.classifiers import Classifier
from newsmon.config import Config
from newsmon.errors import ConfigError, NewsmonError
from newsmon.storage.engine import Store
from newsmon.web.security import Gate, check_binding

log = logging.getLogger("newsmon.serve")


def bearer_token(cfg: Config, environ: Mapping[str, str] = os.environ) -> str:
    name = cfg.serve.token_env
    if not name:
        return ""
    token = environ.get(name, "")
    if len(token) < 16:
        problem = "not set" if not token else "shorter than 16 characters"
        raise ConfigError(f"{cfg.path}: serve.token_env: ${name} is {problem} (the workbench's bearer token)")
    return token


def listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as e:
        sock.close()
        raise NewsmonError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def serve(cfg: Config, store: Store, classifier: Classifier, *, host: str, port: int,
          announce: Callable[[str], None]) -> None:
    """Serve until stopped; `announce` prints where."""
    import uvicorn

    from newsmon.web.app import create_app
    from newsmon.web.workbench import Workbench

    gate = Gate(cfg.serve.users, bearer_token(cfg))
    check_binding(host, authenticates=not gate.open)
    sock = listen(host, port)
    app = create_app(Workbench(cfg, store, classifier, gate))
    server = _server_class()(uvicorn.Config(app, log_config=None, access_log=False, lifespan="off",
                                           timeout_graceful_shutdown=10, server_header=False))
    shown = f"[{host}]" if ":" in host else host
    bound = sock.getsockname()[1]
    allowed = [f"{n} user{'s' if n != 1 else ''}"] if (n := len(cfg.serve.users)) else []
    if gate.token:
        allowed.append("the bearer token")
    who = " and ".join(allowed) or "anyone on this machine"
    announce(f"newsmon workbench on http://{shown}:{bound}/ for {who} (Ctrl-C or SIGTERM stops it)")
    log.info("serving on %s:%s", host, bound)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    log.info("stopped serving%s", f" on {signal.Signals(server.stopped_by).name}" if server.stopped_by else "")


def _server_class() -> type:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, ending with exit 0 after a graceful stop on SIGTERM or Ctrl-C (uvicorn itself
        raises the signal again once it has stopped, which a service manager reports as a crash)."""

        stopped_by: int | None = None

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            if self.should_exit and sig == signal.SIGINT:
                self.force_exit = True      # a second Ctrl-C: do not wait for the answers under way
            self.stopped_by = sig
            self.should_exit = True

    return Server
