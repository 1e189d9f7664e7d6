"""A foreign target's tag as uv targets it, the wheel its own pip would take, and uv's
failures in one line: real uv, resolving through a real local index on this host's loopback
(``mirror_status`` stands in for devpi's answer for a project's page, as in the warm's own
diagnosis tests)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_offline_index.errors import SettingsError, UpstreamUnreachableError, WarmError
from pytest_offline_index.execute.commands import Runner
from pytest_offline_index.index.resolve import fetch_specs, resolve, sources_of
from pytest_offline_index.inputs.parsing import parse_platforms
from pytest_offline_index.inputs.platforms import best_wheel, uv_platform
from pytest_offline_index.inputs.targets import Target
from pytest_offline_index.util.files import sha256_of
from tests.support.dists import Dist
from tests.support.upstream import LocalUpstream

AARCH64 = Target("3.12", None, "manylinux2014_aarch64")


@pytest.mark.parametrize(("tag", "name"), [
    ("manylinux2014_aarch64", "aarch64-manylinux2014"),
    ("manylinux2014_x86_64", "x86_64-manylinux2014"),
    ("manylinux_2_28_x86_64", "x86_64-manylinux_2_28"),
    ("manylinux_2_17_aarch64", "aarch64-manylinux_2_17"),
    ("musllinux_1_2_aarch64", "aarch64-unknown-linux-musl"),
    ("macosx_11_0_arm64", "aarch64-apple-darwin"),
    ("macosx_10_9_x86_64", "x86_64-apple-darwin"),
    ("win_amd64", "x86_64-pc-windows-msvc"),
    ("win_arm64", "aarch64-pc-windows-msvc"),
    ("win32", "i686-pc-windows-msvc"),
])
def test_a_pip_tag_is_named_as_uv_targets_it(tag: str, name: str) -> None:
    assert uv_platform(tag).name == name


def test_a_macos_tag_tells_uv_its_oldest_macos() -> None:
    assert dict(uv_platform("macosx_11_0_arm64").env) == {"MACOSX_DEPLOYMENT_TARGET": "11.0"}


@pytest.mark.parametrize("spec", ["manylinux1_x86_64:3.12", "linux_x86_64:3.12",
                                  "manylinux2014_ppc64le:3.12", "musllinux_1_1_x86_64:3.12",
                                  "macosx_11_0_universal2:3.12"])
def test_a_tag_uv_cannot_target_is_one_line_when_options_are_parsed(spec: str) -> None:
    tag = spec.split(":")[0]
    with pytest.raises(SettingsError, match=rf"^platform '{tag}': uv cannot resolve for this "
                                            rf"tag; give one of manylinux2014_ARCH, "):
        parse_platforms([spec])


@pytest.mark.parametrize(("tag", "wheels", "taken"), [
    ("manylinux_2_28_aarch64",  # a newer glibc prefers the newer wheel
     ["m-1-cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64.whl",
      "m-1-cp312-cp312-manylinux_2_28_aarch64.whl"],
     "m-1-cp312-cp312-manylinux_2_28_aarch64.whl"),
    ("manylinux2014_aarch64",  # the interpreter's own ABI before the stable one
     ["m-1-cp38-abi3-manylinux2014_aarch64.whl", "m-1-cp312-cp312-manylinux2014_aarch64.whl",
      "m-1-py3-none-any.whl"],
     "m-1-cp312-cp312-manylinux2014_aarch64.whl"),
    ("musllinux_1_2_x86_64",
     ["m-1-cp312-cp312-musllinux_1_1_x86_64.whl", "m-1-cp312-cp312-musllinux_1_2_x86_64.whl"],
     "m-1-cp312-cp312-musllinux_1_2_x86_64.whl"),
    ("macosx_14_0_arm64",
     ["m-1-cp312-cp312-macosx_10_9_universal2.whl", "m-1-cp312-cp312-macosx_11_0_arm64.whl"],
     "m-1-cp312-cp312-macosx_11_0_arm64.whl"),
])
def test_the_wheel_taken_is_the_one_the_targets_pip_would_take(
        tag: str, wheels: list[str], taken: str) -> None:
    assert best_wheel(wheels, tag, "3.12") == taken


def test_warm_arguments_become_the_lines_of_uvs_input() -> None:
    assert sources_of(["-r", "/x/reqs.txt", "six", "attrs>=23"]) == (
        "-r /x/reqs.txt\nsix\nattrs>=23\n")


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalUpstream]:
    with LocalUpstream(tmp_path_factory.mktemp("upstream")) as upstream:
        upstream.publish(
            Dist("app", "1.0", requires=['dep-arm; platform_machine == "aarch64"',
                                         'dep-x86; platform_machine == "x86_64"', "native"]),
            Dist("dep-arm", "1.0"), Dist("dep-x86", "1.0"),
            Dist("native", "1.0", tag="cp312-cp312-manylinux_2_17_aarch64"),
            Dist("native", "1.0", tag="cp312-cp312-manylinux_2_17_x86_64"),
            Dist("x86only", "1.0", tag="cp312-cp312-manylinux_2_17_x86_64"),
            Dist("sdistonly", "1.0", sdist=True),
            Dist("glibc", "1.0", tag="cp312-cp312-manylinux_2_17_aarch64"),
            Dist("glibc", "1.0", tag="cp312-cp312-manylinux_2_28_aarch64"))
        yield upstream


def _resolve(index: LocalUpstream, tmp_path: Path, *specs: str,
             status: int | None = 404) -> list[tuple[str, str]]:
    pins = resolve(Runner(), sys.executable, index.url, AARCH64, specs, tmp_path / "work",
                   upstream=index.url, mirror_status=lambda _project: status)
    return sorted((pin.name, pin.filename) for pin in pins)


def test_uv_resolves_with_the_targets_markers_and_pins_its_files(
        index: LocalUpstream, tmp_path: Path) -> None:
    pins = resolve(Runner(), sys.executable, index.url, AARCH64, ["app"], tmp_path / "work",
                   upstream=index.url, mirror_status=lambda _project: 404)

    assert sorted((pin.name, pin.filename) for pin in pins) == [
        ("app", "app-1.0-py3-none-any.whl"), ("dep-arm", "dep_arm-1.0-py3-none-any.whl"),
        ("native", "native-1.0-cp312-cp312-manylinux_2_17_aarch64.whl")]
    args, platforms = fetch_specs(pins, tmp_path / "work")
    assert args[:3] == ["--no-deps", "--require-hashes", "-r"]
    assert platforms == ["manylinux_2_17_aarch64"]
    assert all(f"{p.name}==1.0 --hash=sha256:{p.sha256}" in Path(args[3]).read_text()
               for p in pins)


def test_of_the_files_requirements_pin_by_hash_only_those_are_taken(
        index: LocalUpstream, tmp_path: Path) -> None:
    newer = Target("3.12", None, "manylinux_2_28_aarch64")
    older = Dist("glibc", "1.0", tag="cp312-cp312-manylinux_2_17_aarch64").filename
    locked = tmp_path / "locked.txt"
    locked.write_text(f"glibc==1.0 --hash=sha256:{sha256_of(index.files_dir / older)}\n")

    def taken(*specs: str) -> list[str]:
        return [pin.filename for pin in resolve(
            Runner(), sys.executable, index.url, newer, specs, tmp_path / "work",
            upstream=index.url, mirror_status=lambda _project: 404)]

    assert taken("glibc==1.0") == ["glibc-1.0-cp312-cp312-manylinux_2_28_aarch64.whl"]
    assert taken("-r", str(locked)) == [older]  # the lock's file, though an older glibc's


@pytest.mark.parametrize(("spec", "said"), [
    ("x86only", "x86only 1.0: no wheel for manylinux2014_aarch64-py3.12 on {url} (its wheels "
                "are for manylinux_2_17_x86_64)"),
    ("sdistonly", "sdistonly 1.0: no wheel on {url}, and a foreign target "
                  "(manylinux2014_aarch64-py3.12) is served wheels only"),
    ("nosuchproject", "nosuchproject: no such project on the upstream index {url}"),
    ("app==9.0", "resolving for manylinux2014_aarch64-py3.12 failed: error: No solution found "
                 "when resolving dependencies: Because there is no version of app==9.0 and "
                 "you require app==9.0, we can conclude that your requirements are "
                 "unsatisfiable."),
])
def test_a_failed_resolution_is_one_line(index: LocalUpstream, tmp_path: Path, spec: str,
                                         said: str) -> None:
    with pytest.raises(WarmError) as raised:
        _resolve(index, tmp_path, spec)

    assert str(raised.value) == said.format(url=index.url)


def test_a_project_devpi_could_not_fetch_is_the_upstream_unreachable(
        index: LocalUpstream, tmp_path: Path) -> None:
    with pytest.raises(UpstreamUnreachableError, match=r"^upstream unreachable while "
                       r"resolving for manylinux2014_aarch64-py3\.12: devpi answered 502 for "
                       r"'nosuchproject' from "):
        _resolve(index, tmp_path, "nosuchproject", status=502)
