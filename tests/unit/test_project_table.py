"""The terminal table: target x project, warmed bytes, installed, imported, missing."""

from __future__ import annotations

from pathlib import Path

from pytest_offline_index.check.plan import StepRecord
from pytest_offline_index.check.report import project_table
from pytest_offline_index.check.scenario import AirgapScenario
from pytest_offline_index.client.venv import ImportResult
from pytest_offline_index.index.warm import WarmResult
from pytest_offline_index.inputs.settings import Settings
from pytest_offline_index.inputs.targets import Target
from pytest_offline_index.proof.holes import Hole


def test_rows_show_warmed_bytes_install_import_and_holes(tmp_path: Path) -> None:
    py311, py312 = Target("3.11", "/usr/bin/python3.11"), Target("3.12", "/usr/bin/python3.12")
    scenario = AirgapScenario(Settings.resolve(cli={"packages": ["app"]}),
                              workdir=tmp_path, targets=[py311, py312])
    files = (Path("app-1.0-py3-none-any.whl"), Path("lib-2.0-cp311-cp311-linux_x86_64.whl"))
    report = scenario.report
    report.warmed["py3.11"] = WarmResult("python", files, 1.0, (1_500_000, 2_500_000))
    report.warmed["py3.12"] = WarmResult("python", files[:1], 1.0, (1_500_000,))
    report.steps["py3.11::install"] = StepRecord("install", "py3.11", "passed")
    report.steps["py3.12::install"] = StepRecord("install", "py3.12", "failed")
    report.imports["py3.11"] = [ImportResult("app", True, "app 1.0")]
    report.holes["py3.12"] = [Hole("lib", "2.0", "lib-2.0-cp312-cp312-linux_x86_64.whl")]

    rows = [row.split() for row in project_table(scenario)[1:]]
    assert rows == [
        ["py3.11", "app", "1", "file,", "1.5", "MB", "yes", "ok"],
        ["py3.11", "lib", "1", "file,", "2.5", "MB", "yes"],
        ["py3.12", "app", "1", "file,", "1.5", "MB", "no"],
        ["py3.12", "lib", "-", "MISSING"],
    ]
