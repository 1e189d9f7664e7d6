"""The install check with uv and with devpi-client: the reference path passes, a hole is named.

``--offline-index-installer uv`` makes the fresh venv with ``uv venv`` and installs with
``uv pip install``; ``devpi`` installs with ``devpi use`` + ``devpi install`` (the venv's pip).
Either way the warm is pip's, the cut is the same, and a project the cache never got fails
the install with an OfflineInstallError naming it.
"""

from __future__ import annotations

import pytest

from pytest_offline_index.errors import OfflineInstallError
from tests.support.dists import Dist, embedded_wheel

INSTALLERS = ["uv", "devpi"]


@pytest.mark.parametrize("installer", INSTALLERS)
def test_reference_path_passes_with_the_installer(upstream, make_scenario, unique,
                                                  installer: str) -> None:
    app, dep = unique("app"), unique("dep")
    upstream.publish(Dist(app, "1.0", requires=[dep]), Dist(dep, "2.0"))
    scenario = make_scenario(upstream, app, installer=installer)
    assert scenario.settings.installer == installer
    scenario.warm()
    scenario.cut()
    venv = scenario.install()
    assert venv.installer == installer
    results = scenario.check_imports()
    assert [(r.module, r.ok) for r in results] == [(Dist(app, "1.0").module, True)]
    # the venv is the installer's own: uv's has no pip, devpi-client's state lives in it
    has_pip = (venv.path / "bin" / "pip").exists()
    assert has_pip is (installer != "uv")
    if installer == "devpi":
        assert (venv.path / ".devpi-client" / "current.json").is_file()
    else:
        assert "uv = " in (venv.path / "pyvenv.cfg").read_text()  # made by uv venv
    imported = venv.run(f"import {Dist(dep, '2.0').module} as m; print(m.__version__)")
    assert imported.ok and imported.output.strip() == "2.0", imported.output


@pytest.mark.parametrize("installer", INSTALLERS)
def test_project_never_warmed_is_named_with_the_installer(upstream, make_scenario, unique,
                                                          installer: str) -> None:
    warmed, cold = unique("warmed"), unique("cold")
    upstream.publish(Dist(warmed, "1.0"), Dist(cold, "1.0"))
    scenario = make_scenario(upstream, warmed, installer=installer)
    scenario.warm()
    scenario.cut()
    venv = scenario.index.fresh_venv()
    assert venv.installer == installer
    with pytest.raises(OfflineInstallError) as excinfo:
        venv.install(cold)
    assert f"missing from the cache: {cold} (no release of it is in the cache)" in str(
        excinfo.value), excinfo.value.output
    assert [h.project for h in excinfo.value.holes] == [cold]


@pytest.mark.parametrize("installer", INSTALLERS)
def test_a_requirements_file_installs_with_the_installer(upstream, make_scenario, unique,
                                                         tmp_path, installer: str) -> None:
    app = unique("reqapp")
    upstream.publish(Dist(app, "1.0"), Dist(app, "2.0"))
    reqs = tmp_path / "requirements.txt"
    reqs.write_text(f"{app}==1.0\n")
    scenario = make_scenario(upstream, requirements=str(reqs), installer=installer)
    scenario.warm()
    scenario.cut()
    venv = scenario.install()
    shown = venv.run(f"import {Dist(app, '1.0').module} as m; print(m.__version__)")
    assert shown.ok and shown.output.strip() == "1.0", shown.output


def test_the_ini_key_runs_the_whole_check_with_uv(pytester, upstream, unique) -> None:
    app = unique("iniapp")
    upstream.publish(Dist(app, "1.0"))
    pytester.makeini(f"[pytest]\n{upstream.ini}offline_index_installer = uv\n")
    result = pytester.runpytest_subprocess("--offline-index", "-p", "no:cacheprovider",
                                           "--offline-index-package", app)
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        ["*install [[]py3.*[]]: with uv: uv venv, then uv pip install*"])


def test_an_unknown_installer_on_the_command_line_is_one_line(pytester) -> None:
    result = pytester.runpytest_subprocess("--offline-index", "-p", "no:cacheprovider",
                                           "--offline-index-installer", "conda")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert errors == ["ERROR: offline-index: installer: 'conda' is not an installer; choose "
                      "one of pip, uv, devpi"], result.stderr.str()


@pytest.mark.parametrize("installer", INSTALLERS)
def test_an_sdist_builds_offline_with_the_installer(upstream, make_scenario, unique,
                                                    installer: str) -> None:
    # the installer builds it in its own isolated env: the backend comes from the cache too
    upstream.publish_file(embedded_wheel("setuptools"))
    dist = Dist(unique("sdist-inst"), "1.0", sdist=True)
    upstream.publish(dist)
    scenario = make_scenario(upstream, dist.name, installer=installer)
    scenario.warm()
    scenario.cut()
    scenario.install()
    (result,) = scenario.check_imports()
    assert result.ok, result.detail
