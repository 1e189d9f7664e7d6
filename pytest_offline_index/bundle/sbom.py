"""The bundle's SBOM: ``DIR/sbom.cdx.json``, CycloneDX 1.6, made from the manifest's files.

One component per wheelhouse file: its purl (``pkg:pypi/name@version?file_name=FILE``, the
file name keeping two files of one version apart, as the purl spec's PyPI type allows), its
sha256, and as properties the targets that need it and whether it is a build requirement
only (its distribution pinned by no target; such a file is also scoped ``excluded``: not
part of what runs). Written with cyclonedx-python-lib, the format's own library, and checked
against the manifest by :func:`sbom_disagreements`, which the far side calls.

The library is imported where it is used: pytest loads this module on every run, an export
or not, and the schema validator alone takes a second and more to import.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from ..inputs.export_dir import MANIFEST, SBOM
from ..util.distfiles import parse_filename

TARGET = "pytest-offline-index:target"  # one property per target that needs the file
BUILD_ONLY = "pytest-offline-index:build-requirement-only"  # "true" or "false"
SPEC = "1.6"

# what the SBOM and the manifest say of one file: sha256, targets, build requirement only
Facts = tuple[str | None, tuple[str, ...], bool | None]


def sbom_json(manifest: Mapping[str, Any]) -> str:
    """The SBOM of the export ``manifest`` describes, as JSON text."""
    from cyclonedx.model import HashAlgorithm, HashType, Property
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentScope, ComponentType
    from cyclonedx.output.json import JsonV1Dot6
    from packageurl import PackageURL

    bom = Bom()
    bom.metadata.tools.components.add(Component(
        type=ComponentType.APPLICATION, name="pytest-offline-index", version=_our_version()))
    for entry in manifest.get("files", []):
        filename = str(entry["name"])
        name, release = parse_filename(filename)
        build_only = bool(entry.get("build_requirement_only"))
        bom.components.add(Component(
            name=name, version=release, bom_ref=filename,
            purl=PackageURL(type="pypi", name=name, version=release,
                            qualifiers={"file_name": filename}),
            hashes=[HashType(alg=HashAlgorithm.SHA_256, content=str(entry["sha256"]))],
            scope=ComponentScope.EXCLUDED if build_only else ComponentScope.REQUIRED,
            properties=[*(Property(name=TARGET, value=str(label))
                          for label in entry.get("targets", [])),
                        Property(name=BUILD_ONLY, value="true" if build_only else "false")]))
    return str(JsonV1Dot6(bom).output_as_string(indent=2)) + "\n"


def sbom_disagreements(directory: Path, manifest: Mapping[str, Any]) -> list[str]:
    """Where ``directory``'s SBOM is not CycloneDX 1.6 or says other than ``manifest``
    (its parsed ``manifest.json``) of the files: one short line each; none if they agree."""
    try:
        text = (directory / SBOM).read_text()
        document = json.loads(text)
    except FileNotFoundError:
        return [f"{SBOM}: missing"]
    except (OSError, ValueError) as exc:  # unreadable, not UTF-8, not JSON
        return [f"{SBOM}: cannot be read: {getattr(exc, 'strerror', None) or exc}"]
    invalid = _not_cyclonedx(text, document)
    if invalid:
        return [invalid]
    said, lines = _sbom_facts(document.get("components", []))
    listed = {str(entry.get("name")): _manifest_facts(entry)
              for entry in manifest.get("files", []) if isinstance(entry, Mapping)}
    for name in sorted(listed.keys() | said.keys()):
        if name not in said:
            lines.append(f"{name}: in {MANIFEST}, not in {SBOM}")
        elif name not in listed:
            lines.append(f"{name}: in {SBOM}, not in {MANIFEST}")
        else:
            lines.extend(_differences(name, listed[name], said[name]))
    return lines


def _not_cyclonedx(text: str, document: Any) -> str | None:
    """Why ``document`` is no CycloneDX 1.6 JSON BOM (the format's own schema, offline)."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    if error is not None:
        found = getattr(error, "data", error)  # jsonschema's own error: what, and where
        where = getattr(found, "json_path", "$")
        return f"{SBOM}: not CycloneDX {SPEC}: {_short(str(getattr(found, 'message', found)))}"\
               f" at {where}"
    if document.get("specVersion") != SPEC:  # the schema itself takes any version string
        return f"{SBOM}: CycloneDX {document.get('specVersion')}, not {SPEC}"
    return None


def _sbom_facts(components: Iterable[Mapping[str, Any]]) -> tuple[dict[str, Facts], list[str]]:
    """What the SBOM says of each file, by name, and what it says unreadably."""
    from packageurl import PackageURL

    said: dict[str, Facts] = {}
    lines = []
    for component in components:
        try:
            filename = PackageURL.from_string(str(component["purl"])).qualifiers["file_name"]
        except (KeyError, ValueError, TypeError):
            lines.append(f"{SBOM}: component {component.get('bom-ref', component.get('name'))}"
                         f" names no file (purl ...?file_name=FILE)")
            continue
        if filename in said:
            lines.append(f"{filename}: in {SBOM} twice")
            continue
        sha256 = next((h.get("content") for h in component.get("hashes", [])
                       if h.get("alg") == "SHA-256"), None)
        properties = [(p.get("name"), p.get("value")) for p in component.get("properties", [])]
        build_only = {value: value == "true" for key, value in properties
                      if key == BUILD_ONLY and value in ("true", "false")}
        said[str(filename)] = (
            sha256, tuple(sorted(str(value) for key, value in properties if key == TARGET)),
            next(iter(build_only.values())) if len(build_only) == 1 else None)
    return said, lines


def _manifest_facts(entry: Mapping[str, Any]) -> Facts:
    build_only = entry.get("build_requirement_only")
    return (entry.get("sha256"), tuple(sorted(str(t) for t in entry.get("targets", []))),
            build_only if isinstance(build_only, bool) else None)


def _differences(name: str, listed: Facts, said: Facts) -> list[str]:
    (sha, targets, build_only), (their_sha, their_targets, their_build_only) = listed, said
    lines = []
    if their_sha != sha:
        lines.append(f"{name}: sha256 {their_sha or 'missing'} in {SBOM}, {sha} in {MANIFEST}")
    if their_targets != targets:
        lines.append(f"{name}: targets {', '.join(their_targets) or 'none'} in {SBOM}, "
                     f"{', '.join(targets) or 'none'} in {MANIFEST}")
    if build_only is not None and their_build_only != build_only:  # a bundle/1 has no say
        lines.append(f"{name}: build requirement only "
                     f"{'unsaid' if their_build_only is None else their_build_only} in {SBOM}"
                     f", {build_only} in {MANIFEST}")
    return lines


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _our_version() -> str | None:
    try:
        return version("pytest-offline-index")
    except PackageNotFoundError:
        return None
