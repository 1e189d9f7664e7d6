"""A real export carries ``sbom.cdx.json``: CycloneDX 1.6 by the format's own schema, one
component per wheelhouse file, agreeing with ``manifest.json`` — the build requirement an
sdist needed included, and said to be one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from pytest_offline_index.bundle.sbom import BUILD_ONLY, sbom_disagreements
from pytest_offline_index.steps import Status
from tests.support.dists import Dist, embedded_wheel
from tests.support.upstream import LocalUpstream


def test_an_export_s_sbom_is_cyclonedx_1_6_and_matches_its_manifest(
        upstream: LocalUpstream, make_scenario: Any, unique: Any, tmp_path: Path) -> None:
    app, dep = unique("sbomapp"), unique("sbomdep")
    upstream.publish_file(embedded_wheel("setuptools"))  # builds dep's sdist
    upstream.publish(Dist(app, "1.0", requires=[dep]), Dist(dep, "1.0", sdist=True))
    export = tmp_path / "export"
    scenario = make_scenario(upstream, app, export=str(export))

    scenario.run_all()

    assert scenario.record("bundle").status == Status.PASSED
    text = (export / "sbom.cdx.json").read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    manifest = json.loads((export / "manifest.json").read_text())
    assert manifest["complete"] is True
    assert sbom_disagreements(export, manifest) == []

    sbom = json.loads(text)
    wheelhouse = sorted(p.name for p in (export / "wheelhouse").iterdir())
    assert sorted(c["bom-ref"] for c in sbom["components"]) == wheelhouse
    build_only = {c["bom-ref"].split("-")[0]: p["value"] for c in sbom["components"]
                  for p in c["properties"] if p["name"] == BUILD_ONLY}
    assert build_only == {app.replace("-", "_"): "false", dep.replace("-", "_"): "false",
                          "setuptools": "true"}
    label = scenario.targets[0].label
    assert all(entry["targets"] == [label] for entry in manifest["files"])
