"""The JSON report validates against its schema and its numbers match what the cache holds."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from pytest_offline_index.check.report import SCHEMA_PATH
from tests.support.dists import Dist


def test_report_validates_and_matches_the_cache(pytester, upstream, unique) -> None:
    app, lib = unique("reported"), unique("reportlib")
    upstream.publish(Dist(app, "1.0", requires=[lib]), Dist(lib, "1.0"), Dist(lib, "0.9"))
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--offline-index", *upstream.args,
        "--offline-index-package", app, "--offline-index-report", "out/report.json",
        "--junitxml", "junit.xml")
    result.assert_outcomes(passed=4)
    # each file is printed as it downloads, whichever shape the warmer's pip prints
    for name in (app, lib):
        result.stdout.fnmatch_lines(
            [f"offline-index: warm [[]py3.*[]]: downloading {Dist(name, '1.0').filename} (*)"])
    result.stdout.fnmatch_lines([f"py3.* {app} * 1 file, * kB  yes * ok"])
    whole = json.loads((pytester.path / "out" / "report.json").read_text())
    import jsonschema  # a dev extra: the reference check alone must collect without it

    jsonschema.validate(whole, json.loads(SCHEMA_PATH.read_text()))
    (report,) = whole["checks"]
    assert report["name"] == "offline-index"

    (label,) = report["warmed"]
    warmed = report["warmed"][label]
    names = sorted(f["filename"] for f in warmed["files"])
    assert names == sorted([Dist(app, "1.0").filename, Dist(lib, "1.0").filename])
    # what was warmed is exactly what the cache holds, byte for byte
    assert whole["cache"]["files"] == names
    sizes = {d.filename: (upstream.files_dir / d.filename).stat().st_size
             for d in upstream.published}
    assert all(f["bytes"] == sizes[f["filename"]] for f in warmed["files"])
    assert warmed["bytes"] == sum(f["bytes"] for f in warmed["files"])
    assert [(s["name"], s["status"]) for s in report["steps"]] == [
        ("warm", "passed"), ("cut", "passed"), ("install", "passed"), ("import", "passed")]
    assert report["imports"][label][0]["module"] == app.replace("-", "_")

    # what crossed the relay: the warmed bytes (and the pages) before the cut, nothing after
    gap = report["gap"]
    assert gap["allowed_hosts"] == [f"{upstream.address}:{upstream.port}"]
    assert gap["before_cut"]["bytes"] > warmed["bytes"]
    assert gap["after_cut"] == {"requests": 0, "bytes": 0}
    steps = {s["name"]: s for s in report["steps"]}
    assert steps["warm"]["upstream_bytes"] == gap["before_cut"]["bytes"]
    assert steps["install"]["upstream_requests"] == 0
    assert "from upstream through" in steps["warm"]["detail"]

    # junit XML carries each step's record as properties
    cases = ET.parse(pytester.path / "junit.xml").getroot().iter("testcase")
    props = {case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")}
             for case in cases}
    assert props["cut"]["offline_index_status"] == "passed"
    assert float(props["cut"]["offline_index_seconds"]) >= 0
