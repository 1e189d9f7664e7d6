"""A run's results as JSON (``--offline-index-report``); the schema ships beside this module.

Schema ``pytest-offline-index/report/1`` (``report-schema.json``): targets, every step with
its status, seconds and detail, what each target warmed (files and bytes), sdists' build
requirements, import results, and the files the cache really held at the end of the run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .scenario import AirgapScenario

SCHEMA_ID = "pytest-offline-index/report/1"
SCHEMA_PATH = Path(__file__).with_name("report-schema.json")


def build_report(scenario: AirgapScenario, cached_files: list[str] | None) -> dict[str, Any]:
    report = scenario.report
    return {
        "schema": SCHEMA_ID,
        "upstream": scenario.settings.upstream,
        "requested": {
            "packages": list(scenario.settings.packages),
            "requirements_file": (str(scenario.settings.requirements)
                                  if scenario.settings.requirements else None),
            "imports": list(scenario.settings.imports),
        },
        "targets": [{"label": t.label, "version": t.version, "platform": t.platform,
                     "executable": t.executable} for t in scenario.targets],
        "steps": [{"name": r.name, "target": r.target, "status": r.status,
                   "seconds": round(r.seconds, 3), "detail": r.detail}
                  for r in report.steps.values()],
        "warmed": {
            label: {"files": [{"filename": f.name, "bytes": f.stat().st_size}
                              for f in result.files if f.exists()],
                    "bytes": result.bytes, "seconds": round(result.seconds, 3),
                    "build_requirements": list(report.build_requirements.get(label, ()))}
            for label, result in report.warmed.items()},
        "imports": {
            label: [{"module": r.module, "ok": r.ok, "detail": r.detail,
                     "seconds": round(r.seconds, 3)} for r in results]
            for label, results in report.imports.items()},
        "cache": {"files": cached_files} if cached_files is not None else None,
    }


def write_report(path: Path, report: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
