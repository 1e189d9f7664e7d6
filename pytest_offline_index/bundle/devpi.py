"""The bundle's devpi part, exported and proven: ``devpi-export --include-mirrored-files`` of
the run's server dir, and, on the far side's terms, ``devpi-import`` into a new server dir, a
``devpi-server --offline-mode`` on it and a pip install from it — all in a network namespace
of its own whose only interface is its loopback.

devpi-export writes each mirror's URL as it was configured, credentials and all (the
``mirror_url`` of ``dataindex.json``, and the ``url`` of every mirrored file): the export is
rewritten without them (:func:`carried_without_credentials`), and the far side adds its own
(docs/user-guide.md).
"""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path
from typing import Any

from ..devpi.launch import THROWAWAY_ARGS
from ..errors import BundleError
from ..execute.commands import run
from ..execute.hermetic import NO_COMPILE
from ..netns import without_network
from ..proof.holes import pip_error
from ..util.redaction import secrets_of, split_userinfo

# pip as the far side of a gap runs it: no config, no cache, no questions; no bytecode
# (see NO_COMPILE)
PIP_INSTALL = ("-m", "pip", "install", "--isolated", "--no-cache-dir",
               "--disable-pip-version-check", "--no-input", "--progress-bar", "off",
               "--require-hashes", NO_COMPILE)
PORT = 3141  # the namespace is the proof's own: no other server can hold the port
# The imported server lives for one pip install on a server dir of its own: it starts with
# the run's THROWAWAY_ARGS. Its auth secret is 32 random bytes new at this start (no secret
# file), so argon2's cost protects nothing, on a namespace's loopback or (no sandbox) the
# host's. At devpi's defaults a start cost 7.7-8.0 CPU-s and 4.4-4.6 s, with these 0.5 and
# 0.5 (docs/benchmark.md); once per target where the bundle is made and where it lands.
# devpi's own entry points, run by the harness's interpreter (its console scripts need not
# be on PATH)
EXPORT = "import sys; from devpi_server.importexport import export; sys.exit(export())"
PROOF = """\
import json, subprocess, sys, time, urllib.request
export, serverdir, python, requirements, index, port, log, pip, throwaway = sys.argv[1:10]
py = sys.executable
imported = subprocess.run(
    [py, "-c", "import sys; from devpi_server.importexport import import_; sys.exit(import_())",
     "--serverdir", serverdir, export], capture_output=True, text=True)
if imported.returncode:
    lines = (imported.stdout + imported.stderr).strip().splitlines() or ["no output"]
    sys.exit("devpi-import failed: " + lines[-1])
with open(log, "w") as out:
    server = subprocess.Popen(
        [py, "-c", "import sys; from devpi_server.main import main; sys.exit(main())",
         "--serverdir", serverdir, "--offline-mode", "--host", "127.0.0.1", "--port", port,
         *json.loads(throwaway)],
        stdout=out, stderr=subprocess.STDOUT)
try:
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/+api", timeout=2).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"the imported devpi-server did not start (its log: {log})")
            time.sleep(0.1)
    sys.exit(subprocess.run(
        [python, *json.loads(pip), "--index-url", f"http://127.0.0.1:{port}/{index}/+simple/",
         "-r", requirements]).returncode)
finally:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
"""


def export_index(serverdir: Path, dest: Path, timeout: float) -> None:
    """devpi-server's export of ``serverdir``, the mirrored files with it (without
    ``--include-mirrored-files`` a mirror's export carries none), into ``dest``."""
    done = run([sys.executable, "-c", EXPORT, "--serverdir", str(serverdir),
                "--include-mirrored-files", str(dest)], timeout=timeout)
    if not done.ok:
        raise BundleError(f"devpi-export of {serverdir} failed: {done.why(pip_error)}")
    carried_without_credentials(dest)


def carried_without_credentials(export: Path) -> None:
    """Take every mirror's credentials out of ``export``'s ``dataindex.json``: its mirror
    URL and its files' URLs keep the host and path. The file is checked after: a secret
    still in it (written some other way by a later devpi) fails the export, not the far
    side's trust."""
    index = export / "dataindex.json"
    data = json.loads(index.read_text())
    mirrors = [str(meta.get("indexconfig", {}).get("mirror_url") or "")
               for meta in data.get("indexes", {}).values()]
    userinfos = {userinfo for url in mirrors if (userinfo := split_userinfo(url)[1])}
    if not userinfos:
        return

    def bare(value: Any) -> Any:
        if isinstance(value, str):
            for userinfo in userinfos:
                value = value.replace(f"//{userinfo}@", "//")
            return value
        if isinstance(value, list):
            return [bare(item) for item in value]
        if isinstance(value, dict):
            return {key: bare(item) for key, item in value.items()}
        return value

    text = json.dumps(bare(data), indent=2)
    if left := [s for url in mirrors for s in secrets_of(url) if s in text]:
        raise BundleError(f"devpi-export of the mirror wrote its credentials where they "
                          f"could not be taken out ({len(left)} form(s) left in {index})")
    index.write_text(text)


def proof_argv(export: Path, serverdir: Path, python: str, requirements: Path, index: str,
               log: Path, sandbox: bool = True) -> list[str]:
    """Import ``export`` into ``serverdir`` (which must not exist), serve it offline and
    install ``requirements`` from ``index`` on it with ``python``'s pip; no network but the
    namespace's own loopback (not ``sandbox``: the host's, on a port free there)."""
    argv = [sys.executable, "-I", "-c", PROOF, str(export), str(serverdir), python,
            str(requirements), index, str(PORT if sandbox else _free_port()), str(log),
            json.dumps(PIP_INSTALL), json.dumps(THROWAWAY_ARGS)]
    return without_network(argv, loopback=True) if sandbox else argv


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
