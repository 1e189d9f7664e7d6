"""The pytest plugin: options, ini keys, generated check items and the terminal summary.

``pytest --offline-index`` adds one item per step of the reference check (warm, cut,
install, import) to the run, even in a directory without test files. The work itself is
done by :class:`~pytest_offline_index.scenario.AirgapScenario`; this module only wires it.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .errors import (
    NotInstallCheckedError,
    OfflineIndexError,
    PrivilegeError,
    SettingsError,
)
from .index import OfflineIndex
from .report import build_report, gap, project_table, write_report
from .scenario import AirgapScenario, plan_steps, step_key
from .settings import Settings
from .shared import SharedIndex
from .targets import Target, resolve_targets
from .topology import check_privileges
from .venv import FreshVenv

REQUIRE_NETNS_ENV = "OFFLINE_INDEX_REQUIRE_NETNS"
RUN_KEY = pytest.StashKey["PluginRun"]()

# option dest / ini key -> Settings field
KNOBS = {
    "packages": ("--offline-index-package", "offline_index_packages", "linelist",
                 "requirement spec to warm, install and import (repeatable; default: pandas)"),
    "imports": ("--offline-index-import", "offline_index_imports", "linelist",
                "module that must import (repeatable; default: the top-level modules of the "
                "requested distributions)"),
    "upstream": ("--offline-index-upstream", "offline_index_upstream", "string",
                 "simple index that devpi mirrors (default: https://pypi.org/simple/)"),
    "allow_hosts": ("--offline-index-allow-host", "offline_index_allow_hosts", "linelist",
                    "another host the relay lets devpi reach, e.g. where the upstream's pages "
                    "send files (repeatable; the upstream's own host, and for PyPI "
                    "files.pythonhosted.org, are always allowed)"),
    "subnet": ("--offline-index-subnet", "offline_index_subnet", "string",
               "private IPv4 network, /29 or larger, for the links inside the run's own "
               "namespaces (default: 10.213.0.0/29); change it only if the upstream's "
               "address falls inside it"),
    "gateway": ("--offline-index-gateway", "offline_index_gateway", "string",
                "the relay's address in the gateway namespace, outside the subnet "
                "(default: 10.213.0.9)"),
    "upstream_netns": ("--offline-index-upstream-netns", "offline_index_upstream_netns",
                       "string",
                       "open the relay's upstream connections inside this named network "
                       "namespace (default: the host's own), e.g. for a mirror that lives "
                       "in one"),
    "port": ("--offline-index-port", "offline_index_port", "string",
             "devpi-server port inside the server namespace (default: 3141)"),
    "requirements": ("--offline-index-requirements", "offline_index_requirements", "string",
                     "requirements file warmed and installed with pip -r (hashes, -c "
                     "constraints, markers and extras as pip reads them)"),
    "pythons": ("--offline-index-python", "offline_index_pythons", "linelist",
                "target Python: a version found on PATH or in pyenv ('3.12') or an "
                "interpreter path (repeatable; default: the running interpreter)"),
    "platforms": ("--offline-index-platform", "offline_index_platforms", "linelist",
                  "foreign target TAG:VERSION, e.g. manylinux2014_aarch64:3.12: warmed with "
                  "--platform/--only-binary and reported as warmed, never install-checked "
                  "(repeatable)"),
    "workdir": ("--offline-index-workdir", "offline_index_workdir", "string",
                "directory under which each run's work dir (server data, downloads, venvs) "
                "is made (default: the system temp dir)"),
    "report": ("--offline-index-report", "offline_index_report", "string",
               "write the check's results as JSON to this path (schema: "
               "pytest-offline-index/report/1)"),
    "step_timeout": ("--offline-index-step-timeout", "offline_index_step_timeout", "string",
                     "seconds any one pip step may take (default: 900)"),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("offline-index", "air-gapped install check through a caching index")
    group.addoption("--offline-index", action="store_true", dest="offline_index",
                    help="run the air-gap check: warm a devpi cache, cut the network, "
                         "install into a fresh venv and import")
    for field, (flag, ini, kind, text) in KNOBS.items():
        repeatable = kind == "linelist"
        group.addoption(flag, dest=f"offline_index_{field}",
                        action="append" if repeatable else "store",
                        metavar="SPEC" if repeatable else "VALUE", help=text)
        parser.addini(ini, help=text, type=kind, default=[] if repeatable else "")


PLUGIN_ONLY = ("report",)


def settings_from_config(config: pytest.Config, **overrides: object) -> Settings:
    """Settings from the command line over the ini file; ``overrides`` (a marker) win."""
    fields = [f for f in KNOBS if f not in PLUGIN_ONLY]
    cli = {field: config.getoption(f"offline_index_{field}") for field in fields}
    cli.update({k: v for k, v in overrides.items() if v is not None})
    ini = {field: config.getini(KNOBS[field][1]) for field in fields}
    return Settings.resolve(cli=cli, ini=ini)


def report_path(config: pytest.Config) -> Path | None:
    value = config.getoption("offline_index_report") or config.getini("offline_index_report")
    return Path(str(value)) if value else None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "offline_index(packages=[...], imports=[...], pythons=[...], "
                   "requirements=path): make this test a full air-gap check on the shared "
                   "offline_index; the generated --offline-index items carry it too, so "
                   "'-m offline_index' selects every check")
    if not config.getoption("offline_index", False):
        return
    try:
        settings = settings_from_config(config)
        targets = resolve_targets(settings.pythons, settings.platforms)
    except SettingsError as exc:
        raise pytest.UsageError(f"offline-index: {exc}") from None
    run = PluginRun(config, settings, targets)
    config.stash[RUN_KEY] = run
    run.install_sigterm_handler()


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    run = config.stash.get(RUN_KEY, None)
    if run is None:
        return
    scenario = OfflineIndexScenario.from_parent(session, name="offline-index",
                                                nodeid="offline-index")
    # Collect through the public hooks so reporters count and list the generated items.
    session.ihook.pytest_collectstart(collector=scenario)
    report = session.ihook.pytest_make_collect_report(collector=scenario)
    session.ihook.pytest_collectreport(report=report)
    if report.failed:
        raise pytest.UsageError(f"offline-index: could not generate check items: "
                                f"{report.longreprtext}")
    items.extend(node for node in report.result if isinstance(node, pytest.Item))


def pytest_sessionfinish(session: pytest.Session) -> None:
    run = session.config.stash.get(RUN_KEY, None)
    if run is not None:
        run.close()


def pytest_unconfigure(config: pytest.Config) -> None:
    run = config.stash.get(RUN_KEY, None)
    if run is not None:
        run.close()
        run.restore_sigterm_handler()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    run = terminalreporter.config.stash.get(RUN_KEY, None)
    if run is None or run.scenario is None:
        return
    terminalreporter.section("offline-index")
    for record in run.scenario.report.steps.values():
        terminalreporter.write_line(
            f"{record.target or '':<28} {record.name:<8} {record.status:<12} "
            f"{record.seconds:7.1f}s  {record.detail}")
    if crossed := gap(run.scenario):
        before, after = crossed["before_cut"], crossed["after_cut"]
        terminalreporter.write_line(
            f"through the relay: {before['bytes'] / 1e6:.1f} MB in {before['requests']} "
            f"request(s) before the cut, {after['bytes']} bytes in {after['requests']} after "
            f"it (allowed: {', '.join(crossed['allowed_hosts'])})")
    terminalreporter.write_line("")
    for row in project_table(run.scenario):
        terminalreporter.write_line(row)
    if run.kept_workdir:
        terminalreporter.write_line(f"work dir kept for inspection: {run.kept_workdir}")


# -- fixtures and the marker: the harness inside a test suite -----------------------------

MARKER_KEYS = ("packages", "imports", "pythons", "requirements")


def _require_privileges() -> None:
    try:
        check_privileges()
    except PrivilegeError as exc:
        if os.environ.get(REQUIRE_NETNS_ENV) == "1":
            pytest.fail(f"offline-index: {exc} ({REQUIRE_NETNS_ENV}=1)", pytrace=False)
        pytest.skip(f"offline-index: {exc}; set {REQUIRE_NETNS_ENV}=1 to fail instead")


SHARED_KEY = pytest.StashKey["SharedIndex | None"]()


@pytest.fixture(scope="session")
def offline_index(pytestconfig: pytest.Config) -> Iterator[OfflineIndex]:
    """A running devpi-server behind a cuttable network, shared by the session.

    ``warm(...)``, ``cut()``, ``restore()``, ``is_cut``, ``simple_url``,
    ``cached_files(project=None)``, ``fresh_venv(python=None)``. Under pytest-xdist every
    worker of a run attaches to one index (the first worker starts it, the last one out
    tears it down).
    """
    _require_privileges()
    try:
        settings = settings_from_config(pytestconfig)
    except SettingsError as exc:
        pytest.fail(f"offline-index: {exc}", pytrace=False)
    progress = _progress_writer(pytestconfig)
    run_uid = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    shared = SharedIndex(settings, run_uid, progress) if (
        run_uid and os.environ.get("PYTEST_XDIST_WORKER")) else None
    pytestconfig.stash[SHARED_KEY] = shared
    try:
        if shared:
            index = shared.join()
        else:
            index = OfflineIndex(settings, progress=progress)
            try:
                index.start()
            except BaseException:
                index.close()
                raise
    except OfflineIndexError as exc:
        if shared:
            shared.leave()
        pytest.fail(f"offline-index: {exc}", pytrace=False)
    yield index
    if shared:
        shared.leave()
    else:
        index.close()


@pytest.fixture
def fresh_venv(offline_index: OfflineIndex) -> FreshVenv:
    """A brand-new virtualenv on the air-gapped client, installing from ``offline_index``.

    ``install(*requirements, requirements_file=None)``, ``check_imports(*modules)``,
    ``run(code)``, ``for_python("3.12")``. Cut the index first for an offline check.
    """
    return offline_index.fresh_venv()


MARKER_CHECK_KEY = pytest.StashKey[
    "tuple[OfflineIndex, Settings, list[Target], SharedIndex | None]"]()


@pytest.fixture(autouse=True)
def _offline_index_marker(request: pytest.FixtureRequest) -> None:
    """Prepare ``@pytest.mark.offline_index(...)``: settings (the marker wins) and the index.

    The check itself runs as the test's call (``pytest_runtest_call``), so a cache that
    fails it makes the test *fail*; a bad marker or a server that cannot start is an error.
    """
    marker = request.node.get_closest_marker("offline_index")
    if marker is None or not isinstance(request.node, pytest.Function):
        return
    if marker.args or set(marker.kwargs) - set(MARKER_KEYS):
        pytest.fail(f"offline_index marker: takes only keywords {', '.join(MARKER_KEYS)}; "
                    f"got {marker.args or sorted(set(marker.kwargs) - set(MARKER_KEYS))}",
                    pytrace=False)
    kwargs = dict(marker.kwargs)
    if kwargs.get("requirements"):  # relative to the test's file, as a user writes it
        kwargs["requirements"] = str(request.node.path.parent / str(kwargs["requirements"]))
    try:
        settings = settings_from_config(request.config, **kwargs)
        targets = resolve_targets(settings.pythons, settings.platforms)
    except SettingsError as exc:
        pytest.fail(f"offline_index marker: {exc}", pytrace=False)
    index: OfflineIndex = request.getfixturevalue("offline_index")
    shared = request.config.stash.get(SHARED_KEY, None)
    request.node.stash[MARKER_CHECK_KEY] = (index, settings, targets, shared)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    prepared = item.stash.get(MARKER_CHECK_KEY, None)
    failure = None
    if prepared is not None:
        try:
            run_marker_check(*prepared)
        except OfflineIndexError as exc:
            failure = f"offline-index: {exc}"
    if failure is not None:  # outside the except: one line, no chained traceback
        pytest.fail(failure, pytrace=False)
    return (yield)


def run_marker_check(index: OfflineIndex, settings: Settings, targets: list[Target],
                     shared: SharedIndex | None = None) -> None:
    """Warm, cut, and install + import in a fresh venv per target, on the shared index.

    With other processes on the same index, warming (restore, warm, cut) is exclusive and
    always ends cut; installs run side by side under a shared lock.
    """
    with shared.exclusive() if shared else contextlib.nullcontext():
        index.restore()
        try:
            for target in targets:
                index.warm_target(target, settings.packages, settings.requirements)
        finally:
            if not index.is_cut:
                index.cut()
    with shared.shared() if shared else contextlib.nullcontext():
        index.verify_cut()
        for target in targets:
            if target.foreign:
                continue
            venv = index.install_check(target, settings.packages, settings.requirements)
            venv.check_imports(*venv.modules_to_import(settings.imports,
                                                       settings.distribution_names))


def _progress_writer(config: pytest.Config) -> Callable[[str], None]:
    def write(line: str) -> None:
        if line.startswith("  ") and config.get_verbosity() < 1:
            return
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        capture = config.pluginmanager.get_plugin("capturemanager")
        if reporter is None:
            return
        if capture is None:
            reporter.write_line(f"offline-index: {line}")
            return
        with capture.global_and_fixture_disabled():  # progress must reach the terminal live
            reporter.write_line(f"offline-index: {line}")
    return write


class OfflineIndexScenario(pytest.Collector):
    """The generated collector holding one item per step and target."""

    def collect(self) -> list[pytest.Item]:
        run: PluginRun = self.config.stash[RUN_KEY]
        items = []
        for step, target in plan_steps(run.targets):
            nodeid = (f"{self.nodeid}[{target.label}]::{step}" if target
                      else f"{self.nodeid}::{step}")
            item = OfflineIndexItem.from_parent(self, name=nodeid.split("::", 1)[1],
                                                nodeid=nodeid)
            item.step, item.target = step, target
            item.add_marker(pytest.mark.offline_index)
            items.append(item)
        return items


class OfflineIndexItem(pytest.Item):
    step: str
    target: Target | None

    def runtest(self) -> None:
        run: PluginRun = self.config.stash[RUN_KEY]
        try:
            run.run_step(self.step, self.target)
        finally:
            if run.scenario is not None:  # junit XML carries each step's record
                key = step_key(self.step, self.target.label if self.target else None)
                if record := run.scenario.report.steps.get(key):
                    self.user_properties += [("offline_index_status", record.status),
                                             ("offline_index_seconds", f"{record.seconds:.3f}"),
                                             ("offline_index_detail", record.detail)]

    def teardown(self) -> None:
        run: PluginRun = self.config.stash[RUN_KEY]
        if (self.step, self.target) == plan_steps(run.targets)[-1]:
            run.close()

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if isinstance(excinfo.value, OfflineIndexError):
            where = f"[{self.target.label}] " if self.target else ""
            line = f"offline-index {where}{self.step}: {excinfo.value}"
            output = getattr(excinfo.value, "output", "")
            if output and self.config.get_verbosity() > 0:
                line += "\n--- pip output ---\n" + output.rstrip()
            return line
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, None, str]:
        return self.path, None, self.nodeid


class PluginRun:
    """The one scenario of a ``--offline-index`` session and its progress output."""

    def __init__(self, config: pytest.Config, settings: Settings,
                 targets: list[Target]) -> None:
        self.config = config
        self.settings = settings
        self.targets = targets
        self.scenario: AirgapScenario | None = None
        self.outcomes: dict[str, str] = {}  # step key -> passed / failed / skipped
        self.kept_workdir: Path | None = None
        self.report_written = False
        self._previous_sigterm: Any = None

    def progress(self, line: str) -> None:
        _progress_writer(self.config)(line)

    def _blocker(self, step: str, target: Target | None) -> str | None:
        """Why this step cannot run (an earlier step it needs did not pass), if so."""
        if "privileges" in self.outcomes:
            return "no privileges"
        label = target.label if target else None
        if step == "cut":
            warms = [self.outcomes.get(step_key("warm", t.label)) for t in self.targets]
            return None if "passed" in warms else "no target was warmed"
        if step == "import" and target is not None and target.foreign:
            return f"{label}: warmed, not install-checked (foreign platform)"
        needs = {"install": [step_key("warm", label), "cut"],
                 "import": [step_key("install", label)]}.get(step, [])
        for key in needs:
            if self.outcomes.get(key) != "passed":
                return f"not run: {key} did not pass"
        return None

    def run_step(self, step: str, target: Target | None) -> None:
        key = step_key(step, target.label if target else None)
        self.outcomes[key] = "skipped"
        if blocker := self._blocker(step, target):
            pytest.skip(blocker)
        try:
            _require_privileges()
        except BaseException:  # pytest's skip/fail outcomes: later steps need not try again
            self.outcomes["privileges"] = "failed"
            raise
        if self.scenario is None:
            self.scenario = AirgapScenario(self.settings, progress=self.progress,
                                           targets=self.targets)
        self.outcomes[key] = "failed"
        if step == "cut":
            self.scenario.cut()
        elif step == "warm":
            self.scenario.warm(target)
        elif step == "install":
            try:
                self.scenario.install(target)
            except NotInstallCheckedError as exc:  # a foreign target: reported, never passed
                self.outcomes[key] = "skipped"
                pytest.skip(str(exc))
        else:
            self.scenario.check_imports(target)
        self.outcomes[key] = "passed"

    def close(self) -> None:
        if self.scenario is None:
            return
        scenario = self.scenario
        path = report_path(self.config)
        if path is not None and not self.report_written:
            cached = None
            if scenario.server is not None and scenario.server.is_running():
                try:
                    cached = scenario.index.cached_files()
                except OfflineIndexError:
                    cached = None
            write_report(path, build_report(scenario, cached))
            self.report_written = True
            self.progress(f"report written to {path}")
        scenario.close()
        if scenario.workdir.exists():
            self.kept_workdir = scenario.workdir

    def install_sigterm_handler(self) -> None:
        """Turn SIGTERM into KeyboardInterrupt so teardown runs as it does on Ctrl-C.

        Only in this process: pyroute2 forks helper children that inherit the handler, and
        a helper that ran our teardown would tear down the run it is helping.
        """
        owner = os.getpid()

        def handler(signum: int, frame: Any) -> None:
            if os.getpid() != owner:
                os._exit(128 + signum)
            raise KeyboardInterrupt(f"signal {signum}")

        try:
            self._previous_sigterm = signal.signal(signal.SIGTERM, handler)
        except ValueError:  # not the main thread
            self._previous_sigterm = None

    def restore_sigterm_handler(self) -> None:
        if self._previous_sigterm is not None:
            signal.signal(signal.SIGTERM, self._previous_sigterm)
            self._previous_sigterm = None
