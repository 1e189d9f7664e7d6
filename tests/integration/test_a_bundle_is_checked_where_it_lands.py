"""``pytest --offline-index-bundle=DIR``: a bundle checked again where it lands, by another
process, in another directory, as another user, on each Python it claims — and every way it
can be wrong named in one line.

One bundle for 3.11 and 3.12 is made per module by a real check against the local upstream
(real devpi, real pip); each test checks a copy of it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_offline_index.inputs.targets import find_python
from tests.support.dists import Dist
from tests.support.machine import machine_snapshot, snapshot_diff
from tests.support.ordinary_user import ORDINARY_USER_GROUP, UID, OrdinaryUser
from tests.support.refusals import refuse_unshare
from tests.support.upstream import LocalUpstream

PYTEST = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA"]
# under --dist loadgroup, one worker makes the module's bundle (a minute) for all its tests;
# the ordinary user's group (tests/conftest.py), as one of them is the user's: a group of
# its own would be two ("landed-bundle_ordinary-user"), each making the bundle and the venv
pytestmark = pytest.mark.xdist_group(ORDINARY_USER_GROUP)
RUNNING = f"py{sys.version_info.major}.{sys.version_info.minor}"


@pytest.fixture(scope="module")
def made(upstream: LocalUpstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A bundle for Python 3.11 and 3.12, made by a check of its own."""
    where = tmp_path_factory.mktemp("maker")
    upstream.publish(Dist("landed-dep", "1.0"))
    upstream.publish(Dist("landed-app", "2.0", requires=("landed-dep>=1",)))
    done = subprocess.run([*PYTEST, "--offline-index", *upstream.args,
                           "--offline-index-package=landed-app",
                           "--offline-index-python=3.11", "--offline-index-python=3.12",
                           "--offline-index-export=bundle"],
                          cwd=where, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    yield where / "bundle"
    shutil.rmtree(where, ignore_errors=True)


def copy_of(bundle: Path, where: Path) -> Path:
    copy = where / "landed"
    shutil.copytree(bundle, copy)
    return copy


def fingerprint(directory: Path) -> dict[str, str]:
    """Every file under ``directory`` and its content: what a check must leave as it is."""
    return {str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def far_side(cwd: Path, *args: str, preexec: object = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PYTEST, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600, preexec_fn=preexec)  # type: ignore[arg-type]


def with_python_readable(python: Path, stage: Path, argv: list[str]) -> list[str]:
    """``argv`` in a mount namespace of its own where ``python``'s install, under /root
    (which only root may enter), is where it was and readable by anyone: a machine where
    the user has this Python. Its RUNPATH names that place, so a copy elsewhere would not
    run; the host's mounts are untouched."""
    install = python.resolve().parents[1]
    script = (f'mount --bind "{install}" "{stage}" && mount -t tmpfs -o mode=0755 tmpfs /root'
              f' && mkdir -p "{install}" && mount --bind "{stage}" "{install}" && exec "$@"')
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", *argv]


def test_a_bundle_copied_elsewhere_passes_as_another_user_on_each_python(
        made: Path, user: OrdinaryUser, unique) -> None:
    home = user.root / unique("far-side")
    home.mkdir()
    landed = copy_of(made, home)
    (stage := user.root / unique("stage")).mkdir()  # not where pytest collects
    user.own(home)
    python312 = Path(find_python("3.12").executable or "")
    before = fingerprint(landed)
    done = subprocess.run(with_python_readable(python312, stage, user.command([
        user.python, "-m", "pytest", "-p", "no:cacheprovider", "-rA",
        "--offline-index-bundle=landed", "--offline-index-python=/usr/bin/python3",
        f"--offline-index-python={python312}", "--offline-index-report=far-side.json"])),
        cwd=home, capture_output=True, text=True, timeout=900)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "6 passed" in out.splitlines()[-1]
    for label in ("py3.11", "py3.12"):
        for step in ("verify", "install", "import"):
            assert f"PASSED offline-index-bundle[{label}]::{step}" in out
    report = json.loads((home / "far-side.json").read_text())
    assert report["schema"] == "pytest-offline-index/bundle-check/1"
    assert report["sandbox"] is True
    assert [t["part"] for t in report["targets"]] == ["py3.11", "py3.12"]
    for target in report["targets"]:
        assert target["installed"] == {"landed-app": "2.0", "landed-dep": "1.0"}
        assert [s["status"] for s in target["steps"]] == ["passed"] * 3
        assert "in a network namespace of its own" in target["steps"][1]["detail"]
        assert "imported into a fresh devpi-server --offline-mode" in target["steps"][1][
            "detail"]
    assert (home / "far-side.json").stat().st_uid == UID
    assert fingerprint(landed) == before  # nothing written into the bundle
    assert not list(user.tmp.glob("offline-index-bundle-*"))  # its work dir is gone


def test_a_python_the_bundle_does_not_cover_fails_naming_what_to_add(made: Path,
                                                                    tmp_path: Path) -> None:
    done = far_side(tmp_path, f"--offline-index-bundle={made}", "--offline-index-python=3.13")
    out = done.stdout + done.stderr
    assert done.returncode == pytest.ExitCode.TESTS_FAILED, out
    assert ("offline-index-bundle [py3.13] verify: the bundle has no part for Python 3.13 "
            "(it has: py3.11, py3.12); add --offline-index-python=3.13 where the bundle is "
            "made") in out
    assert "1 failed, 2 skipped" in out.splitlines()[-1]  # install, import: never a pass
    assert "Traceback" not in out


def _remove_a_wheel(bundle: Path) -> str:
    (victim := sorted((bundle / "wheelhouse").glob("landed_dep-*"))[0]).unlink()
    return f"wheelhouse/{victim.name} is missing"


def _change_a_byte(bundle: Path) -> str:
    victim = sorted((bundle / "wheelhouse").glob("landed_app-*"))[0]
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    return f"wheelhouse/{victim.name} has another sha256 than the manifest's"


def _truncate_a_wheel(bundle: Path) -> str:
    victim = sorted((bundle / "wheelhouse").glob("landed_app-*"))[0]
    size = victim.stat().st_size
    victim.write_bytes(victim.read_bytes()[: size // 2])
    return f"wheelhouse/{victim.name} has {size // 2} bytes, the manifest says {size}"


def _add_a_wheel(bundle: Path) -> str:
    extra = Dist("landed-app", "2.0", tag="py2.py3-none-any").write(bundle / "wheelhouse")
    return f"wheelhouse/{extra.name} is not in the manifest (pip could take it)"


def _change_the_devpi_part(bundle: Path) -> str:
    victim = next(p for p in sorted((bundle / "devpi").rglob("*")) if p.is_file()
                  and p.suffix == ".whl")
    victim.write_bytes(victim.read_bytes() + b"\0")
    return f"devpi/{victim.relative_to(bundle / 'devpi').as_posix()} has"


def _loosen_a_pin(bundle: Path) -> str:
    victim = bundle / f"requirements-{RUNNING}.txt"
    victim.write_text(victim.read_text().replace("landed-dep==1.0", "landed-dep>=1.0"))
    return f"requirements-{RUNNING}.txt has another sha256 than the manifest's"


def _change_the_sbom(bundle: Path) -> str:
    sbom = json.loads((bundle / "sbom.cdx.json").read_text())
    component = next(c for c in sbom["components"]
                     if c["bom-ref"] == "landed_dep-1.0-py3-none-any.whl")
    component["hashes"][0]["content"] = "0" * 64
    (bundle / "sbom.cdx.json").write_text(json.dumps(sbom))
    return f"landed_dep-1.0-py3-none-any.whl: sha256 {'0' * 64} in sbom.cdx.json"


@pytest.mark.parametrize("spoil", [_remove_a_wheel, _change_a_byte, _truncate_a_wheel,
                                   _add_a_wheel, _change_the_devpi_part, _loosen_a_pin,
                                   _change_the_sbom])
def test_a_file_taken_out_or_changed_fails_naming_it(made: Path, tmp_path: Path,
                                                     spoil) -> None:
    landed = copy_of(made, tmp_path)
    named = spoil(landed)
    done = far_side(tmp_path, "--offline-index-bundle=landed")
    out = done.stdout + done.stderr
    assert done.returncode == pytest.ExitCode.TESTS_FAILED, out
    assert f"offline-index-bundle [{RUNNING}] verify: " in out
    assert named in out
    assert "1 failed, 2 skipped" in out.splitlines()[-1]
    assert "Traceback" not in out


def test_a_machine_the_parts_are_not_for_fails_naming_the_platform(made: Path,
                                                                  tmp_path: Path) -> None:
    # the bundle as a maker on aarch64 writes it: its running Python's part holds aarch64
    # wheels (the manifest says so: the part is chosen before any file is read)
    landed = copy_of(made, tmp_path)
    manifest = json.loads((landed / "manifest.json").read_text())
    part = manifest["targets"][RUNNING]
    part["files"] = [name.replace("none-any", "none-manylinux2014_aarch64")
                     for name in part["files"]]
    (landed / "manifest.json").write_text(json.dumps(manifest))
    done = far_side(tmp_path, "--offline-index-bundle=landed")
    out = done.stdout + done.stderr
    assert done.returncode == pytest.ExitCode.TESTS_FAILED, out
    version = RUNNING[2:]
    assert (f"offline-index-bundle [{RUNNING}] verify: the bundle's Python {version} part(s) "
            f"({RUNNING}) are not for this machine: ") in out
    assert f"add --offline-index-platform=manylinux2014_x86_64:{version} where the bundle " \
           f"is made" in out


def _not_a_bundle(bundle: Path, tmp_path: Path) -> tuple[Path, str]:
    empty = tmp_path / "empty"
    empty.mkdir()
    return empty, "is not a bundle: it has no manifest.json (make one with " \
                  "--offline-index-export=DIR)"


def _another_schema(bundle: Path, tmp_path: Path) -> tuple[Path, str]:
    landed = copy_of(bundle, tmp_path)
    manifest = json.loads((landed / "manifest.json").read_text())
    manifest["schema"] = "pytest-offline-index/bundle/999"
    (landed / "manifest.json").write_text(json.dumps(manifest))
    return landed, "its manifest's schema is 'pytest-offline-index/bundle/999'"


def _incomplete(bundle: Path, tmp_path: Path) -> tuple[Path, str]:
    landed = copy_of(bundle, tmp_path)
    manifest = json.loads((landed / "manifest.json").read_text())
    manifest["complete"] = False
    (landed / "manifest.json").write_text(json.dumps(manifest))
    return landed, "its manifest says incomplete"


def _a_file(bundle: Path, tmp_path: Path) -> tuple[Path, str]:
    return bundle / "manifest.json", "is not a directory"


@pytest.mark.parametrize(("given", "args", "line"), [
    (_not_a_bundle, (), None), (_another_schema, (), None), (_incomplete, (), None),
    (_a_file, (), None),
    (None, ("--offline-index-url=http://127.0.0.1:9/simple/",),
     "bundle: --offline-index-url belongs to the check that makes a bundle"),
    (None, ("--offline-index-export=elsewhere",),
     "bundle: --offline-index-export belongs to the check that makes a bundle"),
    (None, ("--offline-index",), "bundle: --offline-index makes and checks a bundle"),
    (None, ("-n", "2"), "bundle: not under pytest-xdist (-n)"),
])
def test_bad_input_is_one_line_and_touches_nothing(made: Path, tmp_path: Path, given, args,
                                                   line) -> None:
    directory, named = given(made, tmp_path) if given else (copy_of(made, tmp_path), line)
    before = fingerprint(directory) if directory.is_dir() else None
    done = far_side(tmp_path, f"--offline-index-bundle={directory}", *args)
    out = done.stdout + done.stderr
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, out
    (error,) = [ln for ln in out.splitlines() if ln.startswith("ERROR: offline-index: ")]
    assert named in error
    assert "Traceback" not in out
    if before is not None:
        assert fingerprint(directory) == before
    assert not (tmp_path / "elsewhere").exists()


def test_where_namespaces_are_refused_it_says_so_and_checks_without_when_told(
        made: Path, tmp_path: Path) -> None:
    before = machine_snapshot()
    done = far_side(tmp_path, f"--offline-index-bundle={made}", preexec=refuse_unshare)
    out = done.stdout + done.stderr
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, out
    (error,) = [ln for ln in out.splitlines() if ln.startswith("ERROR: offline-index: ")]
    assert "user namespaces are refused by a seccomp profile" in error
    assert error.endswith("--offline-index-no-sandbox")

    work = tmp_path / "work"
    work.mkdir()
    done = far_side(tmp_path, f"--offline-index-bundle={made}", "--offline-index-no-sandbox",
                    f"--offline-index-workdir={work}", "--offline-index-report=report.json",
                    preexec=refuse_unshare)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "3 passed" in out.splitlines()[-1]
    assert "(no sandbox: the network was not cut)" in out
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["sandbox"] is False
    assert "WITHOUT a sandbox" in report["targets"][0]["steps"][1]["detail"]
    assert snapshot_diff(before, machine_snapshot()) == {}
    assert not list(work.iterdir())  # its work dir is gone
