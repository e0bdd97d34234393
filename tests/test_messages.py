"""What a user reads when something goes wrong: one line per problem, said once, in plain words, naming what
and where — never a traceback, whatever the command."""

from __future__ import annotations

import datetime as dt
import http.server
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsmon.demo.configs import write_config
from tests.conftest import run_cli


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def one_line_each(err: str, expected: int) -> list[str]:
    lines = err.splitlines()
    assert len(lines) == expected, err
    assert "Traceback" not in err and "newsmon.pipeline" not in err and "newsmon.commands" not in err, err
    return lines


# ---- each error once, in plain words ----

def test_quiet_run_with_three_unreachable_sources_prints_one_line_per_source(tmp_path: Path, sites: Any) -> None:
    sites.override("/slow/feed.rss", hang=True)
    refused = free_port()
    sources = [{"name": "nodns", "feeds": ["http://nosuch.invalid/feed.rss"]},
               {"name": "refused", "feeds": [f"http://127.0.0.1:{refused}/feed.rss"]},
               {"name": "slow", "feeds": [sites.base_url + "/slow/feed.rss"]}]
    config = write_config(tmp_path, sources, fetch={"timeout_seconds": 1, "retries": 0})
    code, out, err = run_cli("--config", str(config), "-q", "run")
    assert code == 1 and out == ""
    nodns, refused_line, slow = one_line_each(err, 3)
    assert nodns == "nodns: FAILED: http://nosuch.invalid/feed.rss: cannot resolve nosuch.invalid (no network or DNS?)"
    assert refused_line == (f"refused: FAILED: http://127.0.0.1:{refused}/feed.rss: connection refused by "
                            f"127.0.0.1:{refused} (is the site down, is the port right?)")
    assert slow.startswith(f"slow: FAILED: {sites.base_url}/slow/feed.rss: ") and "1 s" in slow
    assert "0 failed" not in err   # a source whose discovery failed is not "0 failed"


def test_without_q_the_failures_are_the_summary_lines_not_log_lines_too(tmp_path: Path) -> None:
    config = write_config(tmp_path, [{"name": "nodns", "feeds": ["http://nosuch.invalid/feed.rss"]}],
                          fetch={"retries": 0})
    code, out, err = run_cli("--config", str(config), "run")
    assert code == 1
    assert out.count("cannot resolve nosuch.invalid") + err.count("cannot resolve nosuch.invalid") == 1, out + err


class _Quiet(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def self_signed_https(tmp_path: Path) -> Iterator[str]:
    """An HTTPS server on 127.0.0.1 whose certificate nobody signed: a TLS failure to report."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_tls_failures_are_plain_words(tmp_path: Path, sites: Any, self_signed_https: str) -> None:
    plain_port = sites.base_url.rsplit(":", 1)[1]
    sources = [{"name": "untrusted", "feeds": [self_signed_https + "/feed.rss"]},
               {"name": "nottls", "feeds": [f"https://127.0.0.1:{plain_port}/feed.rss"]}]
    config = write_config(tmp_path, sources, fetch={"retries": 0})
    code, out, err = run_cli("--config", str(config), "-q", "run")
    untrusted, nottls = one_line_each(err, 2)
    assert "TLS failed with 127.0.0.1: certificate not trusted (" in untrusted, untrusted
    assert "TLS failed with 127.0.0.1: " in nottls, nottls


# ---- nothing that cannot be written is a traceback ----

def test_a_log_file_under_a_file_is_a_config_error_for_every_command(tmp_path: Path) -> None:
    (tmp_path / "not-a-folder").write_text("")
    log = tmp_path / "not-a-folder" / "newsmon.log"
    config = write_config(tmp_path, [{"name": "x", "feeds": ["http://nosuch.invalid/f"]}],
                          extra=f'[logging]\nfile = "{log}"\n')
    for command in (["run"], ["status"], ["check"], ["export"], ["digest", "--dry-run"], ["daemon"],
                    ["reclassify", "--dry-run"], ["backfill", "--since", "2026-01-01"]):
        code, out, err = run_cli("--config", str(config), *command)
        assert code == 2, (command, err)
        (line,) = one_line_each(err, 1)
        assert line == (f"newsmon: error: {config}: logging.file: cannot write {log}: {log.parent} is a file, "
                        "not a folder"), line


@pytest.mark.parametrize("command", [["export", "--out"], ["digest", "--dry-run", "--week", "2026-W01", "--out"],
                                     ["demo", "--out"]])
def test_an_out_path_that_cannot_be_written_is_one_line_and_exit_1(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "a-file").write_text("")
    config = write_config(tmp_path, [{"name": "x", "feeds": ["http://nosuch.invalid/f"]}])
    assert run_cli("--config", str(config), "reclassify")[0] == 0   # a database to export from
    target = tmp_path / "a-file" / ("out.jsonl" if command[0] == "export" else "out")
    code, out, err = run_cli("--config", str(config), *command, str(target))
    assert code == 1, err
    (line,) = one_line_each(err, 1)
    assert line.startswith("newsmon: error: cannot ") and str(tmp_path / "a-file") in line, line
    assert f"{tmp_path / 'a-file'} is a file, not a folder" in line, line


# ---- as a user without the rights of the one who installed it ----

def unprivileged(command: list[str]) -> list[str]:
    """Run as nobody when the tests run as root (root may write anywhere); as ourselves otherwise."""
    if os.geteuid() != 0:
        return command
    if not shutil.which("setpriv"):
        pytest.skip("setpriv (util-linux) is needed to run a command as an unprivileged user")
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder everybody may read and nobody but its owner may write (tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="newsmon-shared-", dir="/tmp"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def run_unprivileged(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(unprivileged([sys.executable, "-m", "newsmon", *args]), capture_output=True, text=True,
                          timeout=120, cwd="/")


def test_a_log_file_in_a_folder_the_user_cannot_write_is_one_line(shared_dir: Path) -> None:
    config = write_config(shared_dir, [{"name": "x", "feeds": ["http://nosuch.invalid/f"]}],
                          storage_url=f"sqlite:///{shared_dir / 'db' / 'newsmon.db'}",
                          extra=f'[logging]\nfile = "{shared_dir / "logs" / "newsmon.log"}"\n')
    shared_dir.chmod(0o755)
    config.chmod(0o644)
    proc = run_unprivileged("--config", str(config), "run")
    assert proc.returncode == 2, proc.stderr
    (line,) = one_line_each(proc.stderr, 1)
    assert f"logging.file: cannot write {shared_dir / 'logs' / 'newsmon.log'}: permission denied" in line, line


def test_status_and_export_read_a_database_the_user_may_only_read(shared_dir: Path, sites: Any) -> None:
    config = write_config(shared_dir, sites.source_config())
    assert run_cli("--config", str(config), "run")[0] == 0
    for path in [shared_dir, *shared_dir.iterdir()]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    before = sorted(p.name for p in shared_dir.iterdir())
    status = run_unprivileged("--config", str(config), "status")
    assert status.returncode == 0, status.stderr
    assert "trend (trend): ok" in status.stdout
    export = run_unprivileged("--config", str(config), "export")
    assert export.returncode == 0, export.stderr
    assert len(export.stdout.splitlines()) == len(sites.articles)
    assert sorted(p.name for p in shared_dir.iterdir()) == before   # nothing created beside it


def test_read_only_commands_never_create_a_missing_database(tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "newsmon.db"
    config = write_config(tmp_path, [{"name": "x", "feeds": ["http://nosuch.invalid/f"]}],
                          storage_url=f"sqlite:///{missing}")
    for command in (["status"], ["status", "--json"], ["export"]):
        code, out, err = run_cli("--config", str(config), *command)
        assert code == 1 and out == ""
        (line,) = one_line_each(err, 1)
        assert line == (f"newsmon: error: no database at {missing} (storage.url): `newsmon run` creates it; "
                        "nothing was created")
    assert not missing.parent.exists()
