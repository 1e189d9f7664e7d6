"""The export dir: refused in one line unless new, empty or an earlier export (and then left
alone); a disk that fills up mid-export leaves a manifest saying incomplete, never a bundle
that looks whole."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_offline_index import SettingsError
from pytest_offline_index.bundle.export import Bundle
from pytest_offline_index.inputs.export_dir import parse_export_dir
from pytest_offline_index.util.files import sha256_of
from tests.support.dists import Dist

ROOT = Path(__file__).resolve().parents[2]


def test_a_new_or_empty_dir_is_an_export_dir(tmp_path: Path) -> None:
    assert parse_export_dir(str(tmp_path / "new")) == tmp_path / "new"
    (tmp_path / "empty").mkdir()
    assert parse_export_dir(str(tmp_path / "empty")) == tmp_path / "empty"


def test_a_dir_holding_something_else_is_refused_and_left_alone(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("mine")

    with pytest.raises(SettingsError, match="is not empty and not an earlier export"):
        parse_export_dir(str(tmp_path))

    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


def test_an_earlier_export_is_replaced_but_not_if_something_was_added(tmp_path: Path) -> None:
    wheel = Dist("one", "1.0").write(tmp_path / "warm")
    export = tmp_path / "export"
    Bundle(export, ["py3.11"], {}).add("py3.11", "3.11", None, {"one": "1.0"},
                                       [(wheel, sha256_of(wheel))])
    assert parse_export_dir(str(export)) == export

    second = Bundle(export, ["py3.12"], {})
    second.add("py3.12", "3.12", None, {"one": "1.0"}, [(wheel, sha256_of(wheel))])
    assert sorted(p.name for p in export.iterdir()) == [
        "manifest.json", "requirements-py3.12.txt", "sbom.cdx.json",
        "wheelhouse"]  # nothing of the first

    (export / "manifest.json.4242.part").write_text("")  # a run killed mid-write left it
    assert parse_export_dir(str(export)) == export
    for mine in ("notes.txt", "requirements-dev.txt"):  # what the manifest does not list
        (export / mine).write_text("mine")
        with pytest.raises(SettingsError, match="not an earlier export"):
            parse_export_dir(str(export))
        (export / mine).unlink()


def test_an_export_is_complete_only_with_every_part_proven_and_devpis_written(
        tmp_path: Path) -> None:
    wheel = Dist("one", "1.0").write(tmp_path / "warm")
    bundle = Bundle(tmp_path / "export", ["py3.11"], {})
    bundle.add("py3.11", "3.11", None, {"one": "1.0"}, [(wheel, sha256_of(wheel))])
    bundle.result("py3.11", "passed")
    assert not bundle.complete  # devpi's export is not written yet

    bundle.devpi_exported(lambda dest: dest.mkdir(), "offline/airgap")
    assert bundle.complete
    assert json.loads((tmp_path / "export" / "manifest.json").read_text())["complete"]


def test_a_missing_parent_or_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(SettingsError, match=r"its parent .* does not exist"):
        parse_export_dir(str(tmp_path / "no" / "export"))
    with pytest.raises(SettingsError, match="is not a directory"):
        parse_export_dir(str(tmp_path / "file"))


FULL_DISK = """\
import resource, signal, sys
from pathlib import Path
from pytest_offline_index.bundle.export import Bundle
from pytest_offline_index.errors import BundleError
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
# nor bytecode for what it imports from here on: cut at the limit, it would be kept (the
# write is short, not failed) where every later Python of the session reads it, and break
# that module's import in all of them ("marshal data too short")
sys.dont_write_bytecode = True
resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
try:
    Bundle(Path(sys.argv[1]), ["py3.11"], {}).add(
        "py3.11", "3.11", None, {"big": "1.0"}, [(Path(sys.argv[2]), "0" * 64)])
except BundleError as exc:
    print(exc)
"""


def test_a_disk_that_fills_up_leaves_a_manifest_saying_incomplete(tmp_path: Path) -> None:
    big = tmp_path / "big-1.0-py3-none-any.whl"
    big.write_bytes(b"\0" * (1 << 20))  # more than the child may write
    export = tmp_path / "export"

    done = subprocess.run([sys.executable, "-c", FULL_DISK, str(export), str(big)],
                          capture_output=True, text=True, cwd=ROOT, check=True)

    assert done.stdout.strip() == (f"export {export}: writing py3.11's part: File too large; "
                                   f"its manifest says incomplete")
    manifest = json.loads((export / "manifest.json").read_text())
    assert manifest["complete"] is False
    assert manifest["failure"] == "writing py3.11's part: File too large"
    assert not (export / "requirements-py3.11.txt").exists()
    assert list((export / "wheelhouse").iterdir()) == []  # not half a wheel either


def test_the_wheelhouse_holds_one_copy_of_a_file_two_targets_share(tmp_path: Path) -> None:
    wheel = Dist("shared", "1.0").write(tmp_path / "warm")
    bundle = Bundle(tmp_path / "export", ["py3.11", "py3.12"], {})
    bundle.add("py3.11", "3.11", None, {"shared": "1.0"}, [(wheel, sha256_of(wheel))])
    bundle.add("py3.12", "3.12", None, {"shared": "1.0"}, [(wheel, sha256_of(wheel))])

    (entry,) = bundle.manifest()["files"]
    assert entry["targets"] == ["py3.11", "py3.12"]
    assert [p.name for p in (tmp_path / "export" / "wheelhouse").iterdir()] == [wheel.name]
