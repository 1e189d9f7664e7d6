"""The harness inside another project's suite: fixtures, the marker, hashed requirements."""

from __future__ import annotations

import hashlib

from tests.support.dists import Dist
from tests.support.machine import machine_snapshot, snapshot_diff

SUITE = '''
import pytest
from pytest_offline_index import OfflineInstallError


def test_fixtures_warm_cut_install_import(offline_index, fresh_venv):
    offline_index.restore()
    offline_index.warm(["{good}"])
    offline_index.cut()
    assert offline_index.is_cut
    fresh_venv.install("{good}")
    fresh_venv.check_imports("{good_module}")
    done = fresh_venv.run("import {good_module}; print({good_module}.MARKER)")
    assert done.output.strip() == "{good}-1.0"
    assert offline_index.cached_files("{good}") == ["{good_file}"]


def test_a_hole_raises_naming_it(offline_index, fresh_venv):
    offline_index.restore()
    offline_index.warm(["{good}"])
    offline_index.cut()
    with pytest.raises(OfflineInstallError, match="{unwarmed}"):
        fresh_venv.install("{unwarmed}")


@pytest.mark.offline_index(packages=["{good}"])
def test_marker_check_passes():
    pass


@pytest.mark.offline_index(requirements="requirements.txt")
def test_marker_with_hashed_requirements_passes():
    pass


@pytest.mark.offline_index(requirements="bad-hash.txt")
def test_marker_with_a_wrong_hash_fails():
    pass


@pytest.mark.offline_index(packages=["{good}"], imports=["not_there_zz9"])
def test_marker_import_failure_fails():
    pass
'''


def test_fixtures_marker_and_requirements_files(pytester, upstream, unique) -> None:
    good, dep, unwarmed = unique("good"), unique("dep"), unique("unwarmed")
    upstream.publish(Dist(good, "1.0", requires=[f"{dep}>=1"]), Dist(dep, "1.0"),
                     Dist(dep, "2.0"), Dist(unwarmed, "1.0"))
    digests = {d.filename: hashlib.sha256((upstream.files_dir / d.filename).read_bytes())
               .hexdigest() for d in upstream.published}
    good_file = Dist(good, "1.0").filename
    pytester.makeini(f"[pytest]\n{upstream.ini}")
    pytester.makepyfile(SUITE.format(good=good, good_module=good.replace("-", "_"),
                                     good_file=good_file, unwarmed=unwarmed))
    # Hashes for every file, a constraint file keeping dep below 2, a marker that excludes
    # a line on this platform: pip reads it all, the harness adds --require-hashes.
    pytester.path.joinpath("constraints.txt").write_text(f"{dep}<2\n")
    dep_file = Dist(dep, "1.0").filename
    pytester.path.joinpath("requirements.txt").write_text(
        "-c constraints.txt\n"
        f"{good}==1.0 \\\n    --hash=sha256:{digests[good_file]}\n"
        f"{dep}==1.0 --hash=sha256:{digests[dep_file]}\n"
        f'{unwarmed}==1.0 ; sys_platform == "win32"\n')
    pytester.path.joinpath("bad-hash.txt").write_text(
        f"{good}==1.0 --hash=sha256:{'0' * 64}\n{dep}==1.0 --hash=sha256:{digests[dep_file]}\n")
    before = machine_snapshot()

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4, failed=2)
    result.stdout.fnmatch_lines([
        "*_ test_marker_with_a_wrong_hash_fails _*",
        f"offline-index: warm failed for -r *bad-hash.txt: {good}==1.0: the index's file "
        f"{good_file} has sha256:{digests[good_file]}, the requirements pin sha256:{'0' * 64}",
        "*_ test_marker_import_failure_fails _*",
        "offline-index: py3.*: import not_there_zz9 failed: ModuleNotFoundError: *",
    ])
    assert "During handling" not in result.stdout.str()
    assert snapshot_diff(before, machine_snapshot()) == {}
