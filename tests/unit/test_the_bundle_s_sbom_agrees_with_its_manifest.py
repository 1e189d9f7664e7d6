"""The bundle's SBOM (``sbom.cdx.json``): CycloneDX 1.6, one component per wheelhouse file,
written with the manifest; and the far side's check of it names every file where the two
disagree."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from pytest_offline_index.bundle.export import Bundle
from pytest_offline_index.bundle.sbom import BUILD_ONLY, TARGET, sbom_disagreements
from pytest_offline_index.inputs.export_dir import parse_export_dir
from pytest_offline_index.util.files import sha256_of
from tests.support.dists import Dist

WHEEL, SDIST = Dist("one", "1.0"), Dist("one", "1.0", sdist=True)  # two files of one version
ONLY_311 = Dist("old-only", "2.0")
BUILDER = Dist("builder", "3.0")  # fetched to build the sdist, pinned by no target


def exported(tmp_path: Path) -> Path:
    """An export of two targets: one shares the release ``one`` 1.0 (both its files) and
    a build requirement with the other, which alone pins ``old-only``."""
    warm = tmp_path / "warm"
    files = {dist: dist.write(warm) for dist in (WHEEL, SDIST, ONLY_311, BUILDER)}
    bundle = Bundle(tmp_path / "export", ["py3.11", "py3.12"], {})
    for label, pins, dists in (
            ("py3.11", {"one": "1.0", "old_only": "2.0"}, (WHEEL, SDIST, ONLY_311, BUILDER)),
            ("py3.12", {"One": "1.0"}, (WHEEL, SDIST, BUILDER))):
        bundle.add(label, label[2:], None, pins,
                   [(files[dist], sha256_of(files[dist])) for dist in dists])
    return bundle.directory


def read(export: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    return (json.loads((export / "manifest.json").read_text()),
            json.loads((export / "sbom.cdx.json").read_text()))


def test_each_wheelhouse_file_is_one_component_with_its_hash_targets_and_role(
        tmp_path: Path) -> None:
    export = exported(tmp_path)
    manifest, sbom = read(export)

    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(
        (export / "sbom.cdx.json").read_text()) is None
    assert (sbom["bomFormat"], sbom["specVersion"]) == ("CycloneDX", "1.6")
    assert manifest["schema"] == "pytest-offline-index/bundle/2"
    components = {c["purl"]: c for c in sbom["components"]}
    assert sorted(components) == [
        "pkg:pypi/builder@3.0?file_name=builder-3.0-py3-none-any.whl",
        "pkg:pypi/old-only@2.0?file_name=old_only-2.0-py3-none-any.whl",
        "pkg:pypi/one@1.0?file_name=one-1.0-py3-none-any.whl",
        "pkg:pypi/one@1.0?file_name=one-1.0.tar.gz",
    ]
    for entry in manifest["files"]:
        (component,) = (c for c in components.values() if c["bom-ref"] == entry["name"])
        assert component["hashes"] == [{"alg": "SHA-256", "content": sha256_of(
            export / "wheelhouse" / entry["name"])}]
        properties = [(p["name"], p["value"]) for p in component["properties"]]
        assert sorted(v for k, v in properties if k == TARGET) == entry["targets"]
        assert (BUILD_ONLY, str(entry["build_requirement_only"]).lower()) in properties
    assert {e["name"]: (e["targets"], e["build_requirement_only"]) for e in manifest["files"]} == {
        "builder-3.0-py3-none-any.whl": (["py3.11", "py3.12"], True),
        "old_only-2.0-py3-none-any.whl": (["py3.11"], False),
        "one-1.0-py3-none-any.whl": (["py3.11", "py3.12"], False),
        "one-1.0.tar.gz": (["py3.11", "py3.12"], False),
    }
    assert sbom_disagreements(export, manifest) == []


def test_a_hash_changed_a_component_dropped_or_a_target_lost_is_named(tmp_path: Path) -> None:
    export = exported(tmp_path)
    manifest, sbom = read(export)
    by_ref = {c["bom-ref"]: c for c in sbom["components"]}
    digest = by_ref["one-1.0.tar.gz"]["hashes"][0]["content"]
    by_ref["one-1.0.tar.gz"]["hashes"][0]["content"] = digest[:-1] + (
        "0" if digest[-1] != "0" else "1")  # one byte changed
    sbom["components"].remove(by_ref["builder-3.0-py3-none-any.whl"])
    by_ref["one-1.0-py3-none-any.whl"]["properties"] = [
        p for p in by_ref["one-1.0-py3-none-any.whl"]["properties"] if p["value"] != "py3.12"]
    (export / "sbom.cdx.json").write_text(json.dumps(sbom))

    lines = sbom_disagreements(export, manifest)

    assert lines == [
        "builder-3.0-py3-none-any.whl: in manifest.json, not in sbom.cdx.json",
        "one-1.0-py3-none-any.whl: targets py3.11 in sbom.cdx.json, py3.11, py3.12 in "
        "manifest.json",
        f"one-1.0.tar.gz: sha256 {by_ref['one-1.0.tar.gz']['hashes'][0]['content']} in "
        f"sbom.cdx.json, {digest} in manifest.json",
    ]


def test_a_file_the_manifest_does_not_list_is_named(tmp_path: Path) -> None:
    export = exported(tmp_path)
    manifest, _ = read(export)
    manifest["files"] = [e for e in manifest["files"] if e["name"] != "one-1.0.tar.gz"]

    assert sbom_disagreements(export, manifest) == [
        "one-1.0.tar.gz: in sbom.cdx.json, not in manifest.json"]


def test_an_sbom_missing_or_not_cyclonedx_1_6_is_one_line(tmp_path: Path) -> None:
    export = exported(tmp_path)
    manifest, sbom = read(export)

    (export / "sbom.cdx.json").write_text(json.dumps({**sbom, "bomFormat": "SPDX"}))
    (line,) = sbom_disagreements(export, manifest)
    assert line.startswith("sbom.cdx.json: not CycloneDX 1.6: 'SPDX' is not one of")
    assert line.endswith(" at $.bomFormat")

    (export / "sbom.cdx.json").write_text(json.dumps({**sbom, "specVersion": "1.5"}))
    assert sbom_disagreements(export, manifest) == ["sbom.cdx.json: CycloneDX 1.5, not 1.6"]

    (export / "sbom.cdx.json").write_text("{")
    (line,) = sbom_disagreements(export, manifest)
    assert line.startswith("sbom.cdx.json: cannot be read: ")

    (export / "sbom.cdx.json").unlink()
    assert sbom_disagreements(export, manifest) == ["sbom.cdx.json: missing"]


def test_an_export_of_the_first_schema_is_still_replaced(tmp_path: Path) -> None:
    export = exported(tmp_path)
    manifest, _ = read(export)
    (export / "sbom.cdx.json").unlink()  # bundle/1 wrote none, nor this field
    for entry in manifest["files"]:
        del entry["build_requirement_only"]
    (export / "manifest.json").write_text(
        json.dumps({**manifest, "schema": "pytest-offline-index/bundle/1"}))

    assert parse_export_dir(str(export)) == export
    Bundle(export, ["py3.12"], {}).add("py3.12", "3.12", None, {}, [])

    assert sorted(p.name for p in export.iterdir()) == [
        "manifest.json", "requirements-py3.12.txt", "sbom.cdx.json", "wheelhouse"]
    assert read(export)[0]["schema"] == "pytest-offline-index/bundle/2"
