"""devpi-server lifecycle (through pytest-xprocess) and the bits of its HTTP API we use.

The server runs with a fresh server dir, a random root password and a ``root/pypi`` mirror
of the chosen upstream with ``mirror_no_project_list`` (so the first request does not fetch
the whole project list), fetching from the upstream only through the run's relay
(``HTTPS_PROXY``/``HTTP_PROXY``). The upstream's credentials never reach devpi's mirror
URL: devpi would keep them in its database, write them to its log and its export, and send
a percent-encoded password still encoded. The mirror URL is the bare one, and devpi sends
the credentials as an ``Authorization`` header handed to it in its environment. Readiness
means "*our* server answers": the ``X-Devpi-Uuid`` header must match the uuid devpi-init
wrote into this server dir. The harness's own HTTP calls to it go over sockets made
inside the server's namespace.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import secrets
import sys
import time
from pathlib import Path
from typing import Any

import py
import requests
from packaging.utils import canonicalize_name
from xprocess import ProcessStarter, XProcess

from ..errors import ServerError
from ..execute.processes import is_alive
from ..netns import Place
from ..netns.http import session_in
from ..util.distfiles import parse_filename
from ..util.files import sha256_of
from ..util.interrupts import Deferral
from ..util.redaction import redacted, scrub, without_credentials
from .cachedir import CacheDir
from .launch import AUTHORIZATION_VARIABLE, LAUNCH, THROWAWAY_ARGS, basic_authorization
from .trust import devpi_trust_env

log = logging.getLogger(__name__)

USER = "offline"
INDEX = "airgap"
START_TIMEOUT = 60.0
READY_POLL = 0.01  # seconds between "does it answer yet?"
API_TIMEOUT = 60.0
UPSTREAM_REQUEST_TIMEOUT = 30
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
class _XLog:
    def debug(self, msg: str, *args: object) -> None:
        log.debug(msg, *args)


class DevpiServer:
    """One devpi-server, optionally inside a network namespace."""

    def __init__(self, workdir: Path, upstream: str, *, namespace: Place | None = None,
                 port: int = 3141, client_host: str = "127.0.0.1",
                 proxy: str | None = None, cache: CacheDir | None = None,
                 offline: bool = False, ca_bundle: Path | None = None,
                 listen: str = "0.0.0.0") -> None:
        self.workdir = Path(workdir)
        self.listen = listen  # in the run's server namespace, every address there
        self.ca_bundle = ca_bundle  # what it verifies the upstream with (None: certifi's)
        self.cache = cache  # a server dir that outlives the run, or None: one of its own
        self.serverdir = cache.serverdir if cache else self.workdir / "devpi-data"
        self.upstream = upstream  # as given, credentials and all: shown only redacted
        self.mirror_url = without_credentials(upstream)  # what devpi is told, and keeps
        self._authorization = basic_authorization(upstream)  # never shown
        self.namespace = namespace
        self.port = port
        self.client_host = client_host
        self.proxy = proxy
        self.offline = offline  # --offline-mode: serve only what the server dir holds
        self.pid: int | None = None
        self.log_path: Path | None = None
        self._uuid: str | None = None
        self._password = cache.root_password() if cache else secrets.token_urlsafe(24)
        self._auth: dict[str, str] = {}
        self._xprocess: XProcess | None = None
        self._session = self._api_client()
        self._spawning: Deferral | None = None
        self._digests: dict[Path, str] = {}

    # -- addresses ----------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        """How the harness reaches devpi: from inside the server's own namespace."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def index_name(self) -> str:
        return f"{USER}/{INDEX}"

    @property
    def simple_url(self) -> str:
        """The index URL as seen by clients (the air-gapped side)."""
        return f"http://{self.client_host}:{self.port}/{self.index_name}/+simple/"

    @classmethod
    def attached(cls, serverdir: Path, upstream: str, *, namespace: Place, port: int,
                 client_host: str, pid: int, ca_bundle: Path | None = None) -> DevpiServer:
        """A view of a server another process started: usable, never stopped from here."""
        server = cls(serverdir.parent, upstream, namespace=namespace, port=port,
                     client_host=client_host, ca_bundle=ca_bundle)
        server.serverdir = serverdir
        server.pid = pid
        server.log_path = serverdir.parent / "devpi-server" / "xprocess.log"
        return server

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> DevpiServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._uuid = None  # read from .nodeinfo, which devpi-init may be about to write
        fresh = not self._nodeinfo.is_file()  # else a cache dir an earlier run made
        argv = [sys.executable, "-c", LAUNCH, self._password if fresh else "",
                str(self.serverdir), "--host", self.listen, "--port", str(self.port),
                "--request-timeout", str(UPSTREAM_REQUEST_TIMEOUT), *THROWAWAY_ARGS,
                *(["--offline-mode"] if self.offline else [])]
        if self.namespace:
            argv = self.namespace.command(argv)
        server = self
        environment = self._environment()

        class Starter(ProcessStarter):  # type: ignore[misc]  # xprocess is untyped
            args = argv
            env = environment
            timeout = START_TIMEOUT
            terminate_on_interrupt = True

            def startup_check(self) -> bool:
                server._spawned()
                return server._answers_as_ours()

            def wait_callback(self) -> bool:
                # xprocess asks every 0.1 s: on average 50 ms of each start spent waiting
                # for a server that already answers; a refused connect costs nothing here
                deadline = time.monotonic() + self.timeout
                while not self.startup_check():
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"devpi-server did not answer within "
                                           f"{self.timeout:.0f}s")
                    time.sleep(READY_POLL)
                return True

        self._xprocess = XProcess(config=_Config(), rootdir=py.path.local(self.workdir),
                                  log=_XLog())
        info = self._xprocess.getinfo("devpi-server")  # its log and pid file: in the work dir
        self.log_path = Path(str(info.logpath))
        self._spawning = Deferral().__enter__()  # until the pid is known: _spawned()
        try:
            pid, _ = self._xprocess.ensure("devpi-server", Starter)
        except (RuntimeError, TimeoutError) as exc:
            self.pid = info.pid
            raise ServerError(
                f"devpi-server did not become ready ({exc}); see its log: {self.log_path}"
            ) from None
        finally:
            self._spawned()
        self.pid = pid
        self._login()
        self._configure(fresh)
        return self

    def _api_client(self) -> requests.Session:
        """A session for devpi's API whose connections start in devpi's own namespace."""
        if self.namespace is not None:
            return session_in(self.namespace)
        session = requests.Session()
        session.trust_env = False  # no proxy, no netrc: devpi is local
        return session

    def _environment(self) -> dict[str, str]:
        """The harness's environment, with the relay as devpi's only way upstream and the
        host's CA bundle (or the one the user named) as what it trusts there."""
        env = {k: v for k, v in os.environ.items() if k.lower() not in PROXY_VARIABLES}
        if self.proxy:
            env.update(HTTP_PROXY=self.proxy, HTTPS_PROXY=self.proxy)
        env.pop(AUTHORIZATION_VARIABLE, None)
        if self._authorization:
            env[AUTHORIZATION_VARIABLE] = self._authorization
        env.update(devpi_trust_env(self.ca_bundle))
        return env

    def _get(self, url: str, **kwargs: Any) -> requests.Response:
        return self._session.get(url, **kwargs)

    def _spawned(self) -> None:
        """Once xprocess knows devpi's pid: record it, then let a held interrupt in."""
        if self._spawning is None or self._xprocess is None:
            return
        self.pid = self.pid or self._xprocess.getinfo("devpi-server").pid
        spawning, self._spawning = self._spawning, None
        spawning.release()

    @property
    def _nodeinfo(self) -> Path:
        return self.serverdir / ".nodeinfo"

    def _answers_as_ours(self) -> bool:
        if self.pid is not None and not self.is_running():
            what = "devpi-server" if self._nodeinfo.is_file() else "devpi-init"
            raise ServerError(f"{what} exited during start in {self.serverdir}; "
                              f"see its log: {self.log_path}")
        if self._uuid is None:
            try:
                self._uuid = json.loads(self._nodeinfo.read_text())["uuid"]
            except (OSError, ValueError, KeyError):
                return False  # devpi-init has not written it (completely) yet
        try:
            answer = self._get(f"{self.api_url}/+api", timeout=1)
        except requests.RequestException:
            return False
        return answer.headers.get("X-Devpi-Uuid") == self._uuid

    def is_running(self) -> bool:
        return self.pid is not None and is_alive(self.pid)

    def ensure_alive(self) -> None:
        if not self.is_running():
            raise ServerError(f"devpi-server (pid {self.pid}) is not running; "
                              f"see its log: {self.log_path}")

    def stop(self) -> None:
        """Stop the one process we started, by its pid."""
        if self._xprocess is not None:
            info = self._xprocess.getinfo("devpi-server")  # its log and pid file: in the work dir
            if info.pid and self.is_running():
                info.terminate(timeout=20)
            for resource in self._xprocess.resources:
                resource.release()
                if resource.popen is not None:
                    resource.popen.poll()  # reap it if it died on its own (no zombie)
            self._xprocess = None
        self._session.close()

    def restart(self, offline: bool) -> None:
        """Stop and start again on the same server dir, in or out of offline mode."""
        self.stop()
        self._session = self._api_client()
        self.offline = offline
        self.pid = None
        self.start()

    def __enter__(self) -> DevpiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- HTTP API -----------------------------------------------------------------------

    def _request(self, method: str, path: str, payload: dict[str, Any] | None = None,
                 ok: tuple[int, ...] = (200, 201)) -> dict[str, Any]:
        headers = {"Accept": "application/json", **self._auth}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        try:
            answer = self._session.request(
                method, f"{self.api_url}{path}", headers=headers,
                data=json.dumps(payload) if payload is not None else None, timeout=API_TIMEOUT)
        except requests.RequestException as exc:
            self.ensure_alive()
            raise ServerError(f"devpi API {method} {path} failed: {exc}") from None
        if answer.status_code not in ok:
            raise ServerError(f"devpi API {method} {path} answered {answer.status_code}: "
                              f"{scrub(answer.text[:200], [self.upstream])}")
        try:
            data = answer.json()
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def _login(self) -> None:
        result = self._request("POST", "/+login", {"user": "root", "password": self._password})
        token = result["result"]["password"]
        self._auth = {"X-Devpi-Auth": base64.b64encode(f"root:{token}".encode()).decode()}

    def _configure(self, fresh: bool) -> None:
        """The mirror, a user and the index; in a kept cache dir, they are already there."""
        mirror = None if fresh else self._request("GET", "/root/pypi", ok=(200, 404)).get(
            "result")
        if mirror is None:
            self._request("PUT", "/root/pypi", {
                "type": "mirror", "mirror_url": self.mirror_url,
                "mirror_no_project_list": True, "volatile": True})
        elif mirror.get("mirror_url") not in (self.mirror_url, self.upstream):  # or older
            raise ServerError(
                f"cache dir {self.serverdir} mirrors {redacted(str(mirror.get('mirror_url')))}, "
                f"not {redacted(self.upstream)}; give another --offline-index-cache-dir")
        if fresh or self._request("GET", f"/{self.index_name}", ok=(200, 404)).get(
                "result") is None:
            self._request("PUT", f"/{USER}", {"password": secrets.token_urlsafe(16)})
            self._request("PUT", f"/{self.index_name}", {
                "type": "stage", "bases": ["root/pypi"], "volatile": True})

    def cached_files(self, project: str | None = None) -> list[str]:
        """Names of the files the mirror holds (of ``project``, or all): its part of devpi's
        store, read from the server dir as :meth:`held_files` reads it (``+f``: by the
        upstream's hash; ``+e``: a link that gave none). devpi's JSON page of a big project
        takes a minute idle; on a loaded machine, pandas's ran past 60 s."""
        wanted = canonicalize_name(project) if project else None
        mirror = self.serverdir / "+files" / "root" / "pypi"
        return sorted({path.name for store in (mirror / "+f", mirror / "+e")
                       for path in (store.rglob("*") if store.is_dir() else [])
                       if path.is_file() and not path.name.endswith("-tmp")
                       and (wanted is None or _of_project(path.name, wanted))})

    def held_files(self) -> dict[str, str]:
        """Every file in devpi's store, by the sha256 of its bytes: read from the server
        dir, not asked of devpi (its JSON page of a big project, numpy's, takes a minute)."""
        held = {}
        for path in sorted((self.serverdir / "+files").rglob("*")):
            if not path.is_file() or path.name.endswith("-tmp"):
                continue  # "-tmp": being stored, not yet held (renamed when it is)
            if (digest := self._digests.get(path)) is None:  # a stored file never changes
                digest = self._digests[path] = sha256_of(path)
            held[digest] = path.name
        return held

    def mirror_status(self, project: str) -> int | None:
        """The status devpi answers for a project's mirror page (None: it did not answer)."""
        try:
            return self._get(f"{self.api_url}/root/pypi/+simple/{project}/", timeout=60,
                             headers={"Accept": "text/html"}).status_code
        except requests.RequestException:
            return None


def _of_project(filename: str, project: str) -> bool:
    """Whether a distribution file is ``project``'s (canonical): by its wheel or sdist
    name, or for a legacy sdist (``.tar.bz2``, say), by any name before a "-<digit>"."""
    name, version = parse_filename(filename)
    if version is not None:
        return name == project
    return any(canonicalize_name(filename[:cut.start()]) == project
               for cut in re.finditer(r"-\d", filename))


class _Config:
    """pytest-xprocess only needs an object it can hang log handles on."""
