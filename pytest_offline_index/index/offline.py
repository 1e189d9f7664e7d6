"""The library face of the harness: a caching index behind a network you can cut.

``OfflineIndex`` owns the topology and the devpi-server of one run. Test suites warm it for
any requirements and target Pythons, cut it, hand out fresh venvs on the air-gapped client,
and ask what the cache really holds. The pytest fixtures and the reference scenario are both
built on it; the parts it composes (warmer, cut proof, venv factory) are their own modules.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..client.factory import VenvFactory
from ..client.venv import FreshVenv, IndexTerms
from ..devpi.server import DevpiServer
from ..errors import CutNotEffectiveError, OfflineIndexError, ServerError
from ..execute.commands import Runner
from ..inputs.settings import Settings
from ..inputs.targets import Target, find_python, running_target
from ..netns import Addressing, Endpoint, Topology
from ..relay.records import RelayStats
from ..steps import Progress
from .cut import CutProof, upstream_endpoints
from .handle import IndexHandle
from .lifecycle import Lifecycle
from .stack import RelayView, Stack
from .warm import Warmer, WarmRecord, WarmResult, warm_specs

NOT_STARTED = "the offline index is not started: call start() first"


@dataclass(frozen=True)
class _Running:
    """What a started index is made of, the same whether it owns the server and network
    or is attached to another process's."""

    relay: tuple[str, int]
    cut: CutProof
    venvs: VenvFactory
    warmer: Warmer


class OfflineIndex(Lifecycle):
    """One devpi-server in a server namespace, one air-gapped client namespace.

    Made with ``settings`` (its ``index_url`` ignored: the devpi is its own), a ``workdir``
    (default: a new temporary one, removed by ``close``) and a ``progress`` callback taking
    one line per phase (default: ``logging``); ``topology`` and ``server`` are its parts.
    """

    def __init__(self, settings: Settings, workdir: Path | None = None,
                 progress: Progress | None = None) -> None:
        # its own devpi, not an existing one
        super().__init__(replace(settings, index_url=None), workdir, progress)
        self.server: DevpiServer | None = None  # the parts, for tests that reach into them
        self.keep_workdir = False  # close leaves the work dir: devpi failed, its log is the clue
        self._running: _Running | None = None
        self._stack: Stack | None = None  # None in a process attached to another's index
        self._relays = RelayView(lambda: self._stack, self.workdir / "relay-requests")

    # -- lifecycle (start, close, stop_commands, with: see Lifecycle) -------------------

    def _start(self, prepare: Sequence[Target]) -> None:
        """Network, relay and server; for each local target in ``prepare``, its warmer's
        venv and the install check's fresh venv are made while devpi-server starts."""
        endpoints = upstream_endpoints(self.settings)
        self._stack = stack = Stack(self.settings, self.workdir, self._own_workdir,
                                    self.progress, self._relays.tally)
        try:
            self.server = stack.up()
        finally:
            self.topology = stack.topology
        assert stack.relay is not None
        self._running = self._compose(stack.relay.address, endpoints)
        self._running.venvs.prepare(prepare)
        stack.start_server()  # a failure: start() closes, venvs being made included

    def _compose(self, relay: tuple[str, int], endpoints: list[Endpoint]) -> _Running:
        """The parts of a running index, the same for an owning and an attached one."""
        assert self.topology is not None and self.server is not None
        run = Runner(self.topology.client, self.settings.step_timeout, self.workdir / "tmp",
                     self._stopping)
        record = WarmRecord(self.workdir / "warmed")
        warmer = Warmer(self.server, run, self.settings.upstream, record,
                        self._relays.failures, self.progress,
                        alive=self._ensure_server_alive, issuer=self._relays.issuer)
        terms = IndexTerms(self.server.simple_url, held=self.server.held_files,
                           crossings=lambda: self._relays.crossings(self.is_cut),
                           alive=self._ensure_server_alive)
        venvs = VenvFactory(self.workdir / "venvs", run, terms, self.settings.installer,
                            warmed=record.versions)
        return _Running(relay, CutProof(self.topology, relay, endpoints,
                                        self.settings.upstream), venvs, warmer)

    def handle(self) -> IndexHandle:
        """What another process needs to attach to this running index (see ``attach``)."""
        running = self._started()
        return IndexHandle.of(running.cut.topology.control, self.workdir, self._server(),
                              running.relay, tuple(running.cut.endpoints))

    @classmethod
    def attach(cls, settings: Settings, handle: IndexHandle,
               progress: Progress | None = None) -> OfflineIndex:
        """Use an index another process started and owns; closing it tears nothing down."""
        index = cls(settings, workdir=Path(handle.workdir), progress=progress)
        index.topology = Topology.attached(Addressing(settings.subnet, settings.gateway),
                                           handle.control)
        index.server = handle.server(settings.upstream, index.topology.server)
        index._running = index._compose(handle.relay, list(handle.endpoints))
        return index

    def _close(self) -> None:
        """Stop the server, remove the network."""
        if self._running is not None:
            self._running.venvs.close()
            self._running = None
        stack, self._stack = self._stack, None
        self.server = self.topology = None
        if stack is not None:  # else another process owns the server and the network
            self.keep_workdir = stack.keep_workdir = self.keep_workdir or stack.keep_workdir
            stack.down()
        elif self._own_workdir and not self.keep_workdir:  # never started, or failed early
            shutil.rmtree(self.workdir, ignore_errors=True)

    # -- what clients see ---------------------------------------------------------------

    @property
    def simple_url(self) -> str:
        """The index URL the client's installers use (``http://HOST:PORT/.../+simple/``)."""
        return self._server().simple_url

    @property
    def is_started(self) -> bool:
        """Whether it runs: started here, or attached to another process's."""
        return self._running is not None

    @property
    def is_cut(self) -> bool:
        """Whether the server is cut off now (``cut()`` until ``restore()``)."""
        return self.topology is not None and self.topology.is_cut

    def cached_files(self, project: str | None = None) -> list[str]:
        """File names devpi really holds on disk (optionally for one project)."""
        return self._server().cached_files(project)

    def upstream_stats(self) -> RelayStats:
        """Requests and bytes that crossed the gap so far (in an attached process: as the
        owner's relay last wrote them down, at most a moment ago)."""
        return self._relays.stats()

    def sources(self) -> str | None:
        """Where an existing index's files came from: a devpi of the run's own serves all."""
        return None

    def isolation(self) -> str:
        """An existing index's step; a devpi of the run's own has a cut instead: raises."""
        raise OfflineIndexError("the isolation step is an existing index's")

    # -- warming ------------------------------------------------------------------------

    def warm(self, requirements: Sequence[str] = (), *,
             requirements_file: Path | str | None = None,
             pythons: Sequence[str | Target] | None = None) -> dict[str, WarmResult]:
        """Warm for each target Python (default: the running one); results by target."""
        running = self._started()
        if self.is_cut:
            raise CutNotEffectiveError("cannot warm while cut: call restore() first")
        specs = warm_specs(requirements, requirements_file)
        targets = [t if isinstance(t, Target) else find_python(t) for t in pythons or ()]
        results: dict[str, WarmResult] = {}
        for target in targets or [running_target()]:
            warmer = running.venvs.warmer(target)
            # a dir per warm: its files are what this warm fetched, not an earlier one's too
            dest = self.workdir / "warm" / warmer.path.name
            results[target.label] = running.warmer.warm(target, warmer.python, specs, dest)
        return results

    # -- the cut ------------------------------------------------------------------------

    def cut(self) -> str:
        """Cut the server off and prove it; returns what the proof checked."""
        return self._started().cut.cut()

    def verify_cut(self) -> None:
        """Raise CutNotEffectiveError unless neither host can reach the relay or upstream."""
        self._started().cut.verify()

    def restore(self) -> None:
        """Give the server its default route back (to warm more)."""
        self._started().cut.restore()

    # -- clients ------------------------------------------------------------------------

    def fresh_venv(self, python: str | Target | None = None, name: str | None = None,
                   installer: str | None = None) -> FreshVenv:
        """A brand-new virtualenv on the air-gapped client, installing from this index
        with ``installer`` (default: the settings' ``installer``)."""
        return self._started().venvs.fresh(python, name, installer)

    def _ensure_server_alive(self) -> None:
        """Raise ServerError if devpi-server is gone (and keep its log for the clue)."""
        try:
            self._server().ensure_alive()
        except ServerError:
            self.keep_workdir = True
            raise

    def _started(self) -> _Running:
        if self._running is None:
            raise OfflineIndexError(NOT_STARTED)
        return self._running

    def _server(self) -> DevpiServer:
        if self.server is None:
            raise OfflineIndexError(NOT_STARTED)
        return self.server
