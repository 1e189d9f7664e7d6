"""A foreign platform target is warmed for real and reported "warmed, not install-checked":
skipped, "not checked" in the JSON report and junit — never counted as passed."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from pytest_offline_index.check.report import SCHEMA_PATH
from tests.support.dists import Dist

FOREIGN = "manylinux2014_aarch64:3.12"
LABEL = "manylinux2014_aarch64-py3.12"


def test_a_foreign_target_is_warmed_and_never_passed(pytester, upstream, unique) -> None:
    name = unique("crossplat")
    # The aarch64 wheel only a foreign warm fetches; the pure one is this machine's.
    aarch64 = Dist(name, "1.0", tag="cp312-cp312-manylinux2014_aarch64")
    pure = Dist(name, "1.0")
    upstream.publish(aarch64, pure)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-rs", "--offline-index", *upstream.args,
        "--offline-index-package", name, "--offline-index-platform", FOREIGN,
        "--offline-index-report", "report.json", "--junitxml", "junit.xml")
    # this machine's four steps and the foreign warm pass; its install and import do not
    result.assert_outcomes(passed=5, skipped=2)
    result.stdout.fnmatch_lines([
        f"offline-index: warm [[]{LABEL}[]]: passed in *; foreign target: warmed, not "
        f"install-checked)"])
    result.stdout.fnmatch_lines([
        f"SKIPPED [[]2[]] *: {LABEL}: warmed, not install-checked (foreign platform)"])
    result.stdout.fnmatch_lines([f"{LABEL} install *not checked *"])
    result.stdout.fnmatch_lines([f"{LABEL} {name} *1 file, * kB  not checked*"])
    assert f"install [{LABEL}]: passed" not in result.stdout.str()

    whole = json.loads((pytester.path / "report.json").read_text())
    import jsonschema  # a dev extra

    jsonschema.validate(whole, json.loads(SCHEMA_PATH.read_text()))
    (check,) = whole["checks"]
    foreign = {s["name"]: s["status"] for s in check["steps"] if s.get("target") == LABEL}
    assert foreign == {"warm": "passed", "install": "not checked", "import": "not checked"}
    # the foreign warm really fetched the foreign file, and only it
    assert [f["filename"] for f in check["warmed"][LABEL]["files"]] == [aarch64.filename]
    assert aarch64.filename in whole["cache"]["files"]
    assert LABEL not in check["imports"]

    suite = ET.parse(pytester.path / "junit.xml").getroot().find("testsuite")
    assert suite is not None and (suite.get("skipped"), suite.get("failures")) == ("2", "0")
    for case in suite.iter("testcase"):
        status = {p.get("name"): p.get("value")
                  for p in case.iter("property")}["offline_index_status"]
        # pytest < 9.2 names it "offline-index[LABEL]::install", 9.2 "install" in a class
        where = f"{case.get('classname')}::{case.get('name')}"
        if LABEL in where and where.endswith(("::install", "::import")):
            assert (status, case.find("skipped") is not None) == ("not checked", True), where
        else:
            assert (status, case.find("skipped")) == ("passed", None), where
