"""A real forward proxy from the distribution (Debian's tinyproxy) on loopback, for the tests
of a host whose only way out is a proxy. It runs as uid 65534, so that an output rule by
socket owner (``emulation.only_through``) can let it, and nobody else, out."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from pytest_offline_index.execute.commands import die_with_parent

UID = GID = 65534
START_WAIT = 10.0


class Tinyproxy:
    """``tinyproxy -d`` on 127.0.0.1, optionally demanding ``basic_auth`` (user, password)."""

    def __init__(self, basic_auth: tuple[str, str] | None = None) -> None:
        self.basic_auth = basic_auth
        self.dir = Path(tempfile.mkdtemp(prefix="oi-tinyproxy-", dir="/tmp"))
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> str:
        """What it logged: the tunnels it opened among it (``CONNECT host:port``)."""
        path = self.dir / "tinyproxy.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def tunnels(self) -> list[str]:
        """``host:port`` of every CONNECT it was asked for, as its log records them."""
        return re.findall(r"Request \(file descriptor \d+\): CONNECT (\S+) ", self.log)

    def url(self, credentials: tuple[str, str] | None = None) -> str:
        auth = f"{credentials[0]}:{credentials[1]}@" if credentials else ""
        return f"http://{auth}127.0.0.1:{self.port}"

    def start(self) -> Tinyproxy:
        if shutil.which("tinyproxy") is None:
            raise RuntimeError("tinyproxy is not installed (.ci/run installs it with apt)")
        with socket.socket() as probe:  # a free port; tinyproxy takes no port 0
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        lines = [f"Port {self.port}", "Listen 127.0.0.1", "Timeout 60", "MaxClients 50",
                 "Allow 127.0.0.1", "DisableViaHeader Yes", "LogLevel Connect",
                 f'LogFile "{self.dir / "tinyproxy.log"}"']
        if self.basic_auth:
            lines.append(f"BasicAuth {self.basic_auth[0]} {self.basic_auth[1]}")
        config = self.dir / "tinyproxy.conf"
        config.write_text("\n".join(lines) + "\n")
        os.chown(self.dir, UID, GID)
        self.process = subprocess.Popen(
            ["setpriv", f"--reuid={UID}", f"--regid={GID}", "--clear-groups",
             "tinyproxy", "-d", "-c", str(config)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=die_with_parent)
        deadline = time.monotonic() + START_WAIT
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(
                    ("127.0.0.1", self.port), timeout=1):
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"tinyproxy did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()  # by the pid we started
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            self.process = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Tinyproxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
