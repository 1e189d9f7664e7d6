"""A local upstream index host for tests: a static PEP 503 index in its own namespace.

The host hangs off the root namespace by a veth, so the run's server namespace reaches it
only through its default route (root forwards, the run's NAT masquerades): deleting that
route really cuts it off, exactly as it cuts off the public index.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import ipaddress
import secrets
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterable
from pathlib import Path

from pyroute2 import IPRoute, netns

from pytest_offline_index.holes import parse_filename
from pytest_offline_index.nsexec import ns_command
from pytest_offline_index.topology import choose_block, host_ipv4_routes

from .dists import Dist, normalize

UPSTREAM_POOL = ipaddress.IPv4Network("10.214.0.0/16")
PORT = 8080


class LocalUpstream:
    """Owns a namespace ``oit-<id>-up``, a veth pair and an ``http.server`` process."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.run_id = secrets.token_hex(3)
        self.namespace = f"oit-{self.run_id}-up"
        self.link_root = f"oit{self.run_id}r"
        self.link_host = f"oit{self.run_id}u"
        self.block: ipaddress.IPv4Network | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.published: list[Dist] = []

    @property
    def address(self) -> str:
        assert self.block is not None
        return str(self.block.network_address + 2)

    @property
    def url(self) -> str:
        return f"http://{self.address}:{PORT}/simple/"

    @property
    def files_dir(self) -> Path:
        return self.root / "files"

    def start(self) -> LocalUpstream:
        try:
            self.block = choose_block(UPSTREAM_POOL, host_ipv4_routes(), prefix=30)
            netns.create(self.namespace)
            gateway = self.block.network_address + 1
            with IPRoute() as root:
                root.link("add", ifname=self.link_root, kind="veth",
                          peer={"ifname": self.link_host, "net_ns_fd": self.namespace})
                idx = root.link_lookup(ifname=self.link_root)[0]
                # No IPv6 link-local route appearing seconds later in the root namespace:
                # the suite's machine snapshots must be stable while this host exists.
                Path(f"/proc/sys/net/ipv6/conf/{self.link_root}/disable_ipv6").write_text("1")
                root.addr("add", index=idx, address=str(gateway), prefixlen=30)
                root.link("set", index=idx, state="up")
            with IPRoute(netns=self.namespace, flags=0) as host:
                for name in ("lo", self.link_host):
                    idx = host.link_lookup(ifname=name)[0]
                    if name != "lo":
                        host.addr("add", index=idx, address=self.address, prefixlen=30)
                    host.link("set", index=idx, state="up")
            self.write_index()
            self.serve()
        except BaseException:
            self.stop()
            raise
        return self

    def serve(self) -> None:
        """(Re)start the HTTP server; returns once it accepts connections."""
        self.process = subprocess.Popen(
            ns_command(self.namespace, [sys.executable, str(Path(__file__).with_name("httpd.py")),
                                        str(self.root), str(PORT)]),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(
                    (self.address, PORT), timeout=0.5):
                return
            time.sleep(0.05)
        raise RuntimeError("local upstream did not start")

    def halt(self) -> None:
        """Stop serving (the host stays): the upstream is now down."""
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    @contextlib.contextmanager
    def down(self):  # type: ignore[no-untyped-def]
        self.halt()
        try:
            yield
        finally:
            self.serve()

    def set_delay(self, seconds: float) -> None:
        """Make every file download take ``seconds`` (0 to stop), e.g. to interrupt a warm."""
        (self.root / ".delay").write_text(str(seconds))

    def stop(self) -> None:
        self.halt()
        with IPRoute() as root:
            for idx in root.link_lookup(ifname=self.link_root):
                with contextlib.suppress(Exception):
                    root.link("del", index=idx)
        if self.namespace in netns.listnetns():
            netns.remove(self.namespace)
        shutil.rmtree(self.root, ignore_errors=True)

    def publish_file(self, path: Path) -> Path:
        """Publish an existing distribution file as it is (e.g. a real setuptools wheel)."""
        self.files_dir.mkdir(parents=True, exist_ok=True)
        target = self.files_dir / path.name
        shutil.copyfile(path, target)
        self.write_index()
        return target

    def publish(self, *dists: Dist) -> list[Path]:
        paths = [dist.write(self.files_dir) for dist in dists]
        self.published.extend(dists)
        self.write_index()
        return paths

    def write_index(self) -> None:
        write_simple_index(self.root, self.published)

    def __enter__(self) -> LocalUpstream:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def write_simple_index(root: Path, published: Iterable[Dist] = ()) -> None:
    """A static PEP 503 index under ``root/simple`` for every file in ``root/files``.

    ``published`` supplies ``data-requires-python`` for the files the builder wrote.
    """
    files_dir = root / "files"
    simple = root / "simple"
    simple.mkdir(parents=True, exist_ok=True)
    requires_python = {d.filename: d.requires_python for d in published}
    projects: dict[str, list[Path]] = {}
    for path in sorted(files_dir.iterdir()) if files_dir.is_dir() else []:
        project, _ = parse_filename(path.name)
        projects.setdefault(normalize(project), []).append(path)
    for project, paths in projects.items():
        (simple / project).mkdir(exist_ok=True)
        (simple / project / "index.html").write_text(_page(project, paths, requires_python))
    links = "".join(f'<a href="{p}/">{p}</a>\n' for p in sorted(projects))
    (simple / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{links}</body></html>\n")


def _page(project: str, paths: Iterable[Path], requires_python: dict[str, str | None]) -> str:
    rows = []
    for path in paths:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        spec = requires_python.get(path.name) or wheel_requires_python(path)
        attr = f' data-requires-python="{html.escape(spec)}"' if spec else ""
        rows.append(f'<a href="../../files/{path.name}#sha256={digest}"{attr}>'
                    f"{path.name}</a><br>\n")
    return (f"<!DOCTYPE html><html><head><title>Links for {project}</title></head><body>\n"
            f"<h1>Links for {project}</h1>\n{''.join(rows)}</body></html>\n")


def wheel_requires_python(path: Path) -> str | None:
    """Requires-Python from a wheel's METADATA (for wheels published as they are)."""
    if path.suffix != ".whl":
        return None
    with zipfile.ZipFile(path) as wheel:
        name = next((n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")), None)
        if name is None:
            return None
        for line in wheel.read(name).decode(errors="replace").splitlines():
            if line.startswith("Requires-Python:"):
                return line.split(":", 1)[1].strip()
            if not line.strip():
                break
    return None
