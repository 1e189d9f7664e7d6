"""A run's results as JSON (``--offline-index-report``); the schema ships beside this module.

Schema ``pytest-offline-index/report/2`` (``report-schema.json``): every check of the
session (the ``--offline-index`` check and each marked test), each with its targets, every
step with its status, seconds, detail and the traffic that crossed the relay, what each
target warmed (files and bytes), sdists' build requirements and import results; and the
files the cache really held at the end of the run.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from ..steps import Status, Step
from ..util.distfiles import parse_filename
from ..util.redaction import redacted
from ..util.words import count, size
from .scenario import NOT_RUN, AirgapScenario

SCHEMA_ID = "pytest-offline-index/report/2"
SCHEMA_PATH = Path(__file__).with_name("report-schema.json")


def build_report(checks: Sequence[AirgapScenario],
                 cached_files: list[str] | None) -> dict[str, Any]:
    """Every check of the session (the ``--offline-index`` one, then each marker's), and
    the files the cache held at the end."""
    return {
        "schema": SCHEMA_ID,
        "upstream": redacted(checks[0].settings.upstream) if checks else None,
        "checks": [build_check(check) for check in checks],
        "cache": {"files": cached_files} if cached_files is not None else None,
    }


def build_check(scenario: AirgapScenario) -> dict[str, Any]:
    report = scenario.report
    return {
        "name": scenario.name,
        "index": redacted(scenario.settings.index_url) if scenario.settings.index_url else None,
        "requested": {
            "packages": list(scenario.settings.packages),
            "requirements_file": (str(scenario.settings.requirements)
                                  if scenario.settings.requirements else None),
            "imports": list(scenario.settings.imports),
        },
        "targets": [{"label": t.label, "version": t.version, "platform": t.platform,
                     "executable": t.executable} for t in scenario.targets],
        "steps": [{"name": r.name, "target": r.target, "status": r.status,
                   "seconds": round(r.seconds, 3), "detail": r.detail,
                   "upstream_requests": r.upstream.requests if r.upstream else None,
                   "upstream_bytes": r.upstream.bytes if r.upstream else None}
                  for r in report.steps.values()],
        "gap": gap(scenario),
        "warmed": {
            label: {"files": [{"filename": f.name, "bytes": size}
                              for f, size in zip(result.files, result.sizes, strict=True)],
                    "bytes": result.bytes, "seconds": round(result.seconds, 3),
                    "build_requirements": list(report.build_requirements.get(label, ()))}
            for label, result in report.warmed.items()},
        "export": ({"dir": str(scenario.bundler.bundle.directory),
                    "complete": scenario.bundler.bundle.complete}
                   if scenario.bundler is not None else None),
        "locked": {label: {"lock": str(scenario.settings.requirements), "entries": pins}
                   for label, pins in report.locked.items()},
        "imports": {
            label: [{"module": r.module, "ok": r.ok, "detail": r.detail,
                     "seconds": round(r.seconds, 3)} for r in results]
            for label, results in report.imports.items()},
    }


def gap(scenario: AirgapScenario) -> dict[str, Any] | None:
    """What crossed the relay before and after the cut (zero after it, or the cut leaked);
    None for an existing index's check, which has no cut (its steps say what the client
    fetched through the relay)."""
    if scenario.existing or not any(r.upstream for r in scenario.report.steps.values()):
        return None
    before, after = [0, 0], [0, 0]
    cut_seen = False
    for record in scenario.report.steps.values():
        cut_seen = cut_seen or (record.name == Step.CUT and record.status == Status.PASSED)
        if record.upstream is not None:
            side = after if cut_seen and record.name != Step.CUT else before
            side[0] += record.upstream.requests
            side[1] += record.upstream.bytes
    return {"allowed_hosts": list(scenario.settings.allowed_hosts),
            "before_cut": {"requests": before[0], "bytes": before[1]},
            "after_cut": {"requests": after[0], "bytes": after[1]}}


def project_table(scenario: AirgapScenario) -> list[str]:
    """Target x project: what was warmed (files, bytes), installed, imported or missing."""
    report = scenario.report
    rows = [f"{'target':<28} {'project':<24} {'warmed':>18}  {'installed':<9} {'imported'}"]
    for target in scenario.targets:
        label = target.label
        result = report.warmed.get(label)
        projects: dict[str, list[int]] = {}
        for path, n_bytes in zip(result.files, result.sizes, strict=True) if result else ():
            projects.setdefault(canonicalize_name(parse_filename(path.name)[0]), []).append(
                n_bytes)
        for hole in report.holes.get(label, []):
            projects.setdefault(canonicalize_name(hole.project), [])
        for name in report.installed.get(label, {}):  # an existing index's: none warmed
            projects.setdefault(canonicalize_name(name), [])
        install = report.steps.get(f"{label}::install")
        imported = {r.module: r.ok for r in report.imports.get(label, [])}
        missing = {canonicalize_name(h.project) for h in report.holes.get(label, [])}
        for name, sizes in sorted(projects.items()):
            warmed = f"{count(len(sizes), 'file')}, {size(sum(sizes))}" if sizes else "-"
            if name in missing:
                installed = "MISSING"
            elif install is None or install.status == NOT_RUN:
                installed = "-"
            else:
                installed = {Status.PASSED: "yes", Status.NOT_CHECKED: "not checked"}.get(
                    install.status, "no")
            module = name.replace("-", "_")
            imports = "ok" if imported.get(module) else ("FAILED" if module in imported else "")
            rows.append(f"{label:<28} {name:<24} {warmed:>18}  {installed:<9} {imports}")
    return rows


def write_report(path: Path, report: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
