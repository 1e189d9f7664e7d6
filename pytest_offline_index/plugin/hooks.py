"""The pytest plugin: options, ini keys, fixtures, the marker, generated check items.

``pytest --offline-index`` adds one item per step of the reference check (warm, cut,
install, import) to the run, even in a directory without test files. The steps are run by
:class:`~pytest_offline_index.check.scenario.AirgapScenario` on the session's one index
(:class:`~pytest_offline_index.plugin.session.SessionIndex`), which the ``offline_index`` fixture
and ``@pytest.mark.offline_index`` share; this module only wires pytest to them.

pytest loads the plugin into every run of a project that has it installed, and rewrites
each of its modules it imports (asserts, for tracebacks): the check's own modules — devpi,
the namespaces, the installers — are imported only by a run that uses the check.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ..errors import OfflineIndexError, SettingsError
from ..inputs.settings import OPTIONS, Settings
from ..inputs.targets import Target, resolve_targets
from ..outcomes import NotInstallChecked, StepNotRun
from ..steps import Step
from . import landed
from .config import check_report_path, report_path, settings_from_config
from .interrupted import Interruptions
from .output import Output
from .summary import closing_lines, hint_the_check
from .workers import (
    Summaries,
    Workers,
    received_summaries,
    send_summary,
    under_xdist,
    xdist_run,
)

if TYPE_CHECKING:
    from ..check.scenario import AirgapScenario
    from ..client.venv import FreshVenv
    from ..index.offline import OfflineIndex
    from .session import SessionIndex


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("offline-index", "air-gapped install check through a caching index")
    group.addoption("--offline-index", action="store_true", dest="offline_index",
                    help="run the air-gap check: warm a devpi cache, cut the network, "
                         "install into a fresh venv and import")
    for option in OPTIONS:
        if option.flag_only:
            group.addoption(option.flag, dest=f"offline_index_{option.field}",
                            action="store_true", help=option.help)
            parser.addini(option.ini, help=option.help, type="bool", default=False)
            continue
        group.addoption(option.flag, dest=f"offline_index_{option.field}",
                        action="append" if option.repeatable else "store",
                        metavar=option.metavar, help=option.help)
        if option.repeatable:  # literal types: newer pytest types them as TypeForm
            parser.addini(option.ini, help=option.help, type="linelist", default=[])
        else:
            parser.addini(option.ini, help=option.help, type="string", default="")


MARKER_KEYS = ("packages", "imports", "pythons", "requirements", "installer", "index_url")
SESSION_KEY = pytest.StashKey["SessionIndex"]()
CHECK_KEY = pytest.StashKey["AirgapScenario"]()
MARKER_CHECK_KEY = pytest.StashKey["tuple[Settings, list[Target]]"]()
TARGETS_KEY = pytest.StashKey["list[Target]"]()
REPORTED_KEY = pytest.StashKey[Path]()
OUTPUT = "offline-index-output"


def session_index(config: pytest.Config, settings: Settings | None = None) -> SessionIndex:
    """The session's one index, made (not started) on first use, with ``settings`` or the
    run's. Only a run that uses the check imports its machinery (devpi, the namespaces)."""
    if SESSION_KEY not in config.stash:
        if settings is None:
            try:
                settings = settings_from_config(config)
            except SettingsError as exc:
                raise OfflineIndexError(str(exc)) from None
        from .session import SessionIndex

        config.stash[SESSION_KEY] = session = SessionIndex(settings, _progress_writer(config),
                                                          xdist_run(config))
        if (shared := session.shared) is not None:
            _output(config).preamble = shared.start_lines
    return config.stash[SESSION_KEY]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "offline_index(packages=[...], imports=[...], pythons=[...], "
                   "requirements=path, installer=pip|uv|devpi, index_url=URL): make this "
                   "test a full air-gap check on the shared offline_index; the generated "
                   "--offline-index items carry it too, so '-m offline_index' selects "
                   "every check")
    check_report_path(config)
    config.pluginmanager.register(Interruptions(lambda: config.stash.get(SESSION_KEY, None),
                                                lambda: config.stash.get(CHECK_KEY, None)))
    if landed.wanted(config):  # the far-side check of a bundle: a run of its own
        landed.configure(config, settings_from_config, _progress_writer(config))
        return
    xdist_controller = (bool(config.getoption("numprocesses", None))
                        and config.pluginmanager.hasplugin("xdist"))
    if xdist_controller:  # marked tests' tables come back from the workers too
        config.pluginmanager.register(Summaries(config, _output(config)),
                                      "offline-index-summaries")
    if not config.getoption("offline_index", False):
        return
    try:
        settings = settings_from_config(config)
        targets = resolve_targets(settings.pythons, settings.platforms)
    except SettingsError as exc:
        raise pytest.UsageError(f"offline-index: {exc}") from None
    if settings.export is not None and under_xdist(config):
        raise pytest.UsageError(  # each worker would write the one DIR for its own items
            "offline-index: export: not under pytest-xdist (-n); run the check that "
            "exports in one process")
    session_index(config, settings)
    config.stash[TARGETS_KEY] = targets
    if xdist_controller:
        config.pluginmanager.register(Workers(config), "offline-index-workers")


def check_scenario(config: pytest.Config) -> AirgapScenario:
    """The ``--offline-index`` check, made when its items are collected, on the session's index."""
    if CHECK_KEY not in config.stash:
        session = config.stash[SESSION_KEY]
        targets = config.stash[TARGETS_KEY]
        config.stash[CHECK_KEY] = session.check(session.settings, targets, started=False)
    return config.stash[CHECK_KEY]


def pytest_collection_finish(session: pytest.Session) -> None:
    """The check starts side by side only the installs whose items will run."""
    if TARGETS_KEY in session.config.stash:  # the check was made collecting its items
        check_scenario(session.config).selected_installs = {
            item.target.label for item in session.items
            if isinstance(item, CheckItem) and item.step == Step.INSTALL and item.target}


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    if TARGETS_KEY not in config.stash:
        return
    collector = CheckCollector.from_parent(session, name="offline-index",
                                           nodeid="offline-index")
    # Collect through the public hooks so reporters count and list the generated items.
    session.ihook.pytest_collectstart(collector=collector)
    report = session.ihook.pytest_make_collect_report(collector=collector)
    session.ihook.pytest_collectreport(report=report)
    if report.failed:
        raise pytest.UsageError(f"offline-index: could not generate check items: "
                                f"{report.longreprtext}")
    items.extend(node for node in report.result if isinstance(node, pytest.Item))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write the report while the server still answers, then tear the index down."""
    config = session.config
    index_session = config.stash.get(SESSION_KEY, None)
    if index_session is None:
        return
    checks = ([config.stash[CHECK_KEY]] if CHECK_KEY in config.stash else []
              ) + index_session.checks
    index_session.stop_checks()  # what still runs (after -x, say) ends "not run"
    path = report_path(config)
    if path is not None and checks and REPORTED_KEY not in config.stash:
        cached = None
        index = index_session.index
        if index is not None and index.server is not None and index.server.is_running():
            with contextlib.suppress(OfflineIndexError):
                cached = index.cached_files()
        from ..check.report import build_report, write_report

        write_report(path, build_report(checks, cached))
        config.stash[REPORTED_KEY] = path
        if index_session.progress is not None:
            index_session.progress(f"report written to {path}")
    if lines := closing_lines(config.stash.get(CHECK_KEY, None), index_session.checks):
        send_summary(config, lines)  # on a worker: the controller prints its tables
    index_session.close()


def pytest_unconfigure(config: pytest.Config) -> None:
    if (index_session := config.stash.get(SESSION_KEY, None)) is not None:
        index_session.close()  # after an internal error, sessionfinish may not have run


def pytest_report_header(config: pytest.Config) -> str | None:
    """The versions the ``--offline-index`` check runs with, in pytest's header."""
    targets = config.stash.get(TARGETS_KEY, None)
    if targets is None:
        return None
    from ..inputs.versions import header_line  # asks the installers: the check's runs only

    return header_line(targets)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    config = terminalreporter.config
    scenario = config.stash.get(CHECK_KEY, None)
    index_session = config.stash.get(SESSION_KEY, None)
    kept = index_session.kept_workdir if index_session is not None else None
    hint_the_check(terminalreporter)
    sent = received_summaries(config)  # under -n: the workers that ran checks
    markers = index_session.checks if index_session is not None else []
    lines = sent or closing_lines(scenario, markers)
    if not lines and kept is None:
        return
    terminalreporter.section("offline-index")
    for line in lines:
        terminalreporter.write_line(line)
    if kept is not None:  # the fixture's or the marker's run too, not only --offline-index
        terminalreporter.write_line(f"work dir kept for inspection: {kept}")


# -- fixtures and the marker: the harness inside a test suite -----------------------------

@pytest.fixture(scope="session")
def offline_index(pytestconfig: pytest.Config) -> OfflineIndex:
    """The session's running devpi-server behind a cuttable network.

    ``warm(...)``, ``cut()``, ``restore()``, ``is_cut``, ``simple_url``,
    ``cached_files(project=None)``, ``fresh_venv(python=None)``. The marker and
    ``--offline-index`` use the same one; under pytest-xdist every worker of a run attaches
    to it (the first worker starts it, the last one out tears it down).
    """
    try:
        return session_index(pytestconfig).started()
    except OfflineIndexError as exc:
        pytest.fail(f"offline-index: {exc}", pytrace=False)


@pytest.fixture
def fresh_venv(offline_index: OfflineIndex) -> FreshVenv:
    """A brand-new virtualenv on the air-gapped client, installing from ``offline_index``.

    ``install(*requirements, requirements_file=None)``, ``check_imports(*modules)``,
    ``run(code)``, ``for_python("3.12")``. Cut the index first for an offline check.
    """
    return offline_index.fresh_venv()


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
    failure: str | None = None
    try:
        settings = settings_from_config(request.config, marker=True, **kwargs)
        targets = resolve_targets(settings.pythons, settings.platforms)
    except SettingsError as exc:
        failure = f"offline_index marker: {exc}"
    if failure is not None:  # outside the except: one line, no chained exception
        pytest.fail(failure, pytrace=False)
    if settings.index_url is None:  # an existing index's check has an index of its own
        request.getfixturevalue("offline_index")  # the session's index, started
    request.node.stash[MARKER_CHECK_KEY] = (settings, targets)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    prepared = item.stash.get(MARKER_CHECK_KEY, None)
    failure = None
    if prepared is not None:
        settings, targets = prepared
        index_session = item.config.stash[SESSION_KEY]
        shared = index_session.shared
        scenario = index_session.check(settings, targets, name=item.nodeid)
        index_session.checks.append(scenario)
        try:  # with other processes on the index: warming exclusive, installs side by side
            scenario.run_all(warming=shared.exclusive() if shared else None,
                             checking=shared.shared() if shared else None)
        except OfflineIndexError as exc:
            failure = f"offline-index: {exc}"
    if failure is not None:  # outside the except: one line, no chained traceback
        pytest.fail(failure, pytrace=False)
    return (yield)


def _progress_writer(config: pytest.Config) -> Callable[[str], None]:
    """Where the check says what it does: the terminal, through :class:`Output`."""
    return _output(config).write


def _output(config: pytest.Config) -> Output:
    output = config.pluginmanager.get_plugin(OUTPUT)
    if output is None:
        output = Output(config)
        config.pluginmanager.register(output, OUTPUT)
    return output


# -- the generated check items ----------------------------------------------------------

class CheckCollector(pytest.Collector):
    """The generated collector holding one item per step and target of the check."""

    def collect(self) -> list[pytest.Item]:
        items: list[pytest.Item] = []
        for step, target in check_scenario(self.config).plan:
            nodeid = (f"{self.nodeid}[{target.label}]::{step}" if target
                      else f"{self.nodeid}::{step}")
            item = CheckItem.from_parent(self, name=nodeid.split("::", 1)[1], nodeid=nodeid)
            item.step, item.target = step, target
            item.add_marker(pytest.mark.offline_index)
            items.append(item)
        return items


class CheckItem(pytest.Item):
    """One step of the check: it passes, fails, or is skipped saying why it did not run."""

    step: str
    target: Target | None

    def runtest(self) -> None:
        scenario = check_scenario(self.config)
        record = scenario.record(self.step, self.target)
        try:
            scenario.run(self.step, self.target)
        except (StepNotRun, NotInstallChecked) as exc:
            pytest.skip(str(exc))
        finally:  # junit XML carries each step's record
            self.user_properties += [("offline_index_status", str(record.status)),
                                     ("offline_index_seconds", f"{record.seconds:.3f}"),
                                     ("offline_index_detail", record.detail)]

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
