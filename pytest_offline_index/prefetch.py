"""Filling a cold devpi in parallel before the warm's own download.

devpi fetches a project's page from the upstream only when asked, and pip asks for one
project at a time, so a cold warm waits for the upstream once per project, in series. Here
pip resolves the set first, straight from the upstream through the relay while devpi is
still starting; then devpi is asked for every page, and every file, at once. The warm's
hermetic ``pip download`` through devpi stays the proof: this only makes sure it has nothing
left to wait for. Anything that goes wrong here is ignored; that download will say what.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import requests
from packaging.utils import canonicalize_name

from .commands import run
from .hermetic import hermetic_env, index_args
from .nsthread import NamespaceThread

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
PARALLEL = 8
FETCH_TIMEOUT = 120.0


@dataclass(frozen=True)
class Wanted:
    """One file of the resolved set: the project it belongs to and its file name."""

    project: str
    filename: str


def resolve(python: str, specs: Sequence[str], *, upstream: str, proxy: str,
            namespace: str, report: Path, timeout: float, build_isolation: bool = True,
            stop: threading.Event | None = None) -> list[Wanted]:
    """The files pip would install for ``specs`` with ``python``, asking ``upstream``
    through ``proxy`` (from ``namespace``); empty when pip cannot say."""
    argv = [python, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
            "--report", str(report), "--proxy", proxy, *index_args(upstream)]
    if not build_isolation:
        argv.append("--no-build-isolation")
    done = run([*argv, *specs], namespace=namespace, env=hermetic_env(), timeout=timeout,
               stop=stop)
    if not done.ok:
        return []
    try:
        items = json.loads(report.read_text()).get("install", [])
    except (OSError, ValueError):
        return []
    wanted = []
    for item in items:
        url = (item.get("download_info") or {}).get("url", "")
        name = (item.get("metadata") or {}).get("name", "")
        if url and name:
            filename = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
            wanted.append(Wanted(canonicalize_name(name), filename))
    return wanted


def fetch(simple_url: str, wanted: Sequence[Wanted], *, namespace: str,
          timeout: float = FETCH_TIMEOUT) -> int:
    """Ask devpi (at ``simple_url``, from ``namespace``) for each wanted file's page and
    then the file, all projects at once; returns how many files it served. ``timeout``
    bounds each wait for devpi's answer."""
    if not wanted:
        return 0
    with NamespaceThread(namespace, workers=min(PARALLEL, len(wanted))) as threads:
        return sum(threads.map(lambda w: _fetch_one(simple_url, w, timeout), wanted))


def _fetch_one(simple_url: str, wanted: Wanted, timeout: float) -> bool:
    with requests.Session() as session:
        session.trust_env = False  # devpi is local to the namespace: no proxy
        try:
            page_url = f"{simple_url}{wanted.project}/"
            page = session.get(page_url, headers={"Accept": SIMPLE_JSON}, timeout=timeout)
            page.raise_for_status()
            urls = [f["url"] for f in page.json().get("files", [])
                    if f.get("filename") == wanted.filename]
            if not urls:
                return False
            with session.get(urljoin(page_url, urls[0]), stream=True,
                             timeout=timeout) as answer:
                answer.raise_for_status()
                for _ in answer.iter_content(1 << 16):
                    pass  # devpi keeps the file as it serves it
            return True
        except (requests.RequestException, ValueError, KeyError, TypeError):
            return False
