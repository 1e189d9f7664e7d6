"""A local upstream index host for tests: a static PEP 503 index on the host's loopback.

The run's namespaces have no route to the host's loopback: the only way to it is the run's
relay, whose upstream connections are the harness's own. So the server reaches it exactly as
it reaches the public index — through its default route and the relay — and the cut really
cuts it off. Its server process dies with the test process (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from pytest_offline_index.execute.commands import die_with_parent
from pytest_offline_index.util.distfiles import parse_filename

from .dists import Dist, normalize

# Two loopback addresses of the host: the second is the same server under another host name.
ADDRESS = "127.0.0.1"
OTHER_ADDRESS = "127.0.0.2"


class LocalUpstream:
    """Owns an ``http.server`` process on the host's loopback, on a port of its own."""

    def __init__(self, root: Path, tls: bool = False) -> None:
        self.root = Path(root)
        self.tls = tls  # serve https with a self-signed certificate no client trusts
        self.address = ADDRESS
        self.other_address = OTHER_ADDRESS
        self.port = 0  # chosen by the kernel at the first start, kept across restarts
        self.process: subprocess.Popen[str] | None = None
        self.published: list[Dist] = []
        self.elsewhere: dict[str, str] = {}  # file name -> the base URL its page links to
        self.yanked: set[str] = set()  # file names the pages mark yanked (PEP 592)

    @contextlib.contextmanager
    def requiring(self, user: str, password: str) -> Iterator[None]:
        """Every request needs these Basic credentials meanwhile (401 without them)."""
        auth = self.root / ".auth"
        auth.write_text(f"{user}:{password}")
        try:
            yield
        finally:
            auth.unlink(missing_ok=True)

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.address}:{self.port}/simple/"

    @property
    def pem(self) -> Path:
        return self.root / "self-signed.pem"

    @property
    def args(self) -> list[str]:
        """The ``pytest --offline-index`` options that make this host the upstream."""
        return ["--offline-index-upstream", self.url]

    @property
    def ini(self) -> str:
        """The same as ``pytest.ini`` lines."""
        return f"offline_index_upstream = {self.url}\n"

    @property
    def settings(self) -> dict[str, str]:
        """The same as ``Settings.resolve`` values."""
        return {"upstream": self.url}

    @property
    def files_dir(self) -> Path:
        return self.root / "files"

    def start(self) -> LocalUpstream:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self.write_index()
            self.serve()
        except BaseException:
            self.stop()
            raise
        return self

    def serve(self) -> None:
        """(Re)start the HTTP server; returns once it accepts connections."""
        argv = [sys.executable, str(Path(__file__).with_name("httpd.py")), str(self.root),
                f"{self.address},{self.other_address}", str(self.port)]
        if self.tls:
            if not self.pem.exists():
                key = self.root / "key.pem"
                subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                                "-subj", f"/O=offline-index test CA/CN={self.address}",
                                "-addext", f"subjectAltName=IP:{self.address}",
                                "-keyout", str(key),
                                "-out", str(self.pem)], check=True, capture_output=True)
                self.pem.write_text(self.pem.read_text() + key.read_text())
            argv.append(str(self.pem))
        self.process = subprocess.Popen(  # no orphan if we are killed: die_with_parent
            argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            preexec_fn=die_with_parent)
        assert self.process.stdout is not None
        port = self.process.stdout.readline().strip()
        if not port.isdigit():
            raise RuntimeError("local upstream did not start")
        self.port = int(port)

    def halt(self) -> None:
        """Stop serving (the host stays): the upstream is now down."""
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            if self.process.stdout is not None:
                self.process.stdout.close()
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

    def publish_elsewhere(self, *dists: Dist, base: str | None = None) -> list[Path]:
        """Publish files that the pages link to on a second host (``other_address``), or at
        ``base`` (a base URL ending in ``/``: e.g. another server's ``files/``)."""
        for dist in dists:
            self.elsewhere[dist.filename] = (
                base or f"http://{self.other_address}:{self.port}/files/")
        return self.publish(*dists)

    def publish_yanked(self, *dists: Dist) -> list[Path]:
        """Publish files the pages mark yanked (``data-yanked``, PEP 592)."""
        self.yanked.update(dist.filename for dist in dists)
        return self.publish(*dists)

    def redirect_files(self, base: str) -> None:
        """Answer every file download with a 302 to ``base`` + its name from now on."""
        (self.root / ".redirect").write_text(base)

    def write_index(self) -> None:
        write_simple_index(self.root, self.published, self.elsewhere, self.yanked)

    def __enter__(self) -> LocalUpstream:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def write_simple_index(root: Path, published: Iterable[Dist] = (),
                       elsewhere: dict[str, str] | None = None,
                       yanked: Iterable[str] = ()) -> None:
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
        (simple / project / "index.html").write_text(
            _page(project, paths, requires_python, elsewhere or {}, set(yanked)))
    links = "".join(f'<a href="{p}/">{p}</a>\n' for p in sorted(projects))
    (simple / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{links}</body></html>\n")


def _page(project: str, paths: Iterable[Path], requires_python: dict[str, str | None],
          elsewhere: dict[str, str], yanked: set[str]) -> str:
    rows = []
    for path in paths:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        spec = requires_python.get(path.name) or wheel_requires_python(path)
        attr = f' data-requires-python="{html.escape(spec)}"' if spec else ""
        attr += ' data-yanked="withdrawn by its maintainer"' if path.name in yanked else ""
        base = elsewhere.get(path.name, "../../files/")
        rows.append(f'<a href="{base}{path.name}#sha256={digest}"{attr}>'
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
