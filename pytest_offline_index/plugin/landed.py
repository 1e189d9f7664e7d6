"""``pytest --offline-index-bundle=DIR``: the far-side check of a bundle, as pytest items.

Registered by :mod:`.hooks` when the option is given. One item per step and target,
``offline-index-bundle[<target>]::verify|install|import``, run by
:class:`~pytest_offline_index.check.landed.LandedCheck`; its table closes the run, and
``--offline-index-report`` takes its JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ..errors import OfflineIndexError, SettingsError
from ..inputs.settings import OPTIONS
from ..inputs.targets import Target, find_python, running_target
from ..outcomes import StepNotRun
from ..steps import Progress
from ..util.interrupts import heed_interrupts
from .workers import under_xdist

if TYPE_CHECKING:
    from ..check.landed import LandedCheck

NAME = "offline-index-bundle"
CHECK_KEY = pytest.StashKey["LandedCheck"]()
# what only the check that makes a bundle takes: given with --offline-index-bundle, a mistake
MAKERS_ONLY = ("packages", "requirements", "upstream", "upstream_proxy", "upstream_cert",
               "index_url", "index_cert", "index_netrc", "export", "cache_dir", "platforms",
               "installer", "allow_hosts", "port", "subnet", "gateway")


def bundle_path(config: pytest.Config) -> str | None:
    """The bundle to check, from the command line over the ini file; None: no such run."""
    value = config.getoption("offline_index_bundle", None) or config.getini(
        "offline_index_bundle")
    return str(value) if value else None


def sandboxed(config: pytest.Config) -> bool:
    return not (config.getoption("offline_index_no_sandbox", False)
                or config.getini("offline_index_no_sandbox"))


def wanted(config: pytest.Config) -> bool:
    return bundle_path(config) is not None


def configure(config: pytest.Config, settings_of: Any, progress: Progress) -> None:
    """Read the bundle and the targets, refuse what cannot run, in one line each; then
    this module's hooks take the run. ``settings_of``: the plugin's settings reader;
    ``progress``: its live lines."""
    heed_interrupts()  # a Ctrl-C from the first moment on, whatever started the run
    try:
        check = _check(config, settings_of, progress)
    except SettingsError as exc:
        raise pytest.UsageError(f"offline-index: {exc}") from None
    config.stash[CHECK_KEY] = check
    config.pluginmanager.register(_Hooks(), NAME)


def _check(config: pytest.Config, settings_of: Any, progress: Progress) -> LandedCheck:
    # the check's own modules, for this run alone (the plugin loads into every run)
    from ..bundle.landed import LandedBundle
    from ..check.landed import LandedCheck
    from ..netns import network_refusal

    if config.getoption("offline_index", False):
        raise SettingsError("bundle: --offline-index makes and checks a bundle, "
                            "--offline-index-bundle checks one where it lands: give one")
    if under_xdist(config):
        raise SettingsError("bundle: not under pytest-xdist (-n): each target's steps run "
                            "in order in one process; run it without -n")
    flags = {o.field: o.flag for o in OPTIONS}
    for name in MAKERS_ONLY:
        if config.getoption(f"offline_index_{name}", None) not in (None, [], ""):
            raise SettingsError(
                f"bundle: {flags[name]} belongs to the check that makes a bundle; "
                f"--offline-index-bundle checks one where it lands, with no upstream")
    bundle = LandedBundle.read(str(bundle_path(config)))
    settings = settings_of(config)
    targets = [find_python(spec) for spec in settings.pythons] or [running_target()]
    targets = list({t.label: t for t in targets}.values())
    sandbox = sandboxed(config)
    if sandbox and (refusal := network_refusal()) is not None:
        raise SettingsError(
            f"bundle: no network namespace can be made here: {refusal}; or check without "
            f"the sandbox (the network not cut, reported as such): --offline-index-no-sandbox")
    return LandedCheck(bundle, targets, workdir=settings.workdir, sandbox=sandbox,
                       timeout=settings.step_timeout, imports=settings.imports,
                       progress=progress)


class _Hooks:
    """The far-side check's hooks, registered only when it runs."""

    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        collector = BundleCollector.from_parent(session, name=NAME, nodeid=NAME)
        session.ihook.pytest_collectstart(collector=collector)
        report = session.ihook.pytest_make_collect_report(collector=collector)
        session.ihook.pytest_collectreport(report=report)
        items.extend(node for node in report.result if isinstance(node, pytest.Item))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        config = session.config
        check = config.stash.get(CHECK_KEY, None)
        if check is None:
            return
        value = config.getoption("offline_index_report", None) or config.getini(
            "offline_index_report")
        if value:
            path = Path(str(value))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(check.report(), indent=2) + "\n")
        check.close()

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if (check := config.stash.get(CHECK_KEY, None)) is not None:
            check.close()

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        check = terminalreporter.config.stash.get(CHECK_KEY, None)
        if check is None:
            return
        terminalreporter.section(NAME)
        terminalreporter.write_line(f"bundle: {check.bundle.directory}" + (
            "" if check.sandbox else "  (no sandbox: the network was not cut)"))
        for record in check.records.values():
            terminalreporter.write_line(
                f"{record.target or '':<28} {record.name:<8} {record.status:<8} "
                f"{record.seconds:7.1f}s  {record.detail}")


class BundleCollector(pytest.Collector):
    """One item per step and target of the far-side check."""

    def collect(self) -> list[pytest.Item]:
        items: list[pytest.Item] = []
        for step, target in self.config.stash[CHECK_KEY].plan:
            nodeid = f"{self.nodeid}[{target.label}]::{step}"
            item = BundleItem.from_parent(self, name=nodeid.split("::", 1)[1], nodeid=nodeid)
            item.step, item.target = str(step), target
            items.append(item)
        return items


class BundleItem(pytest.Item):
    """One step of the far-side check: it passes, fails in one line, or is skipped saying
    which step before it did not pass."""

    step: str
    target: Target

    def runtest(self) -> None:
        check = self.config.stash[CHECK_KEY]
        record = check.record(self.step, self.target)
        try:
            check.run_step(self.step, self.target)
        except StepNotRun as exc:
            pytest.skip(f"not run: {exc}")
        finally:
            self.user_properties += [("offline_index_status", str(record.status)),
                                     ("offline_index_seconds", f"{record.seconds:.3f}"),
                                     ("offline_index_detail", record.detail)]

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if isinstance(excinfo.value, OfflineIndexError):
            return f"{NAME} [{self.target.label}] {self.step}: {excinfo.value}"
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, None, str]:
        return self.path, None, self.nodeid
