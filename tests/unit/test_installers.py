"""--offline-index-installer: the setting, a missing extra, and the hermetic commands."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from pytest_offline_index.client import installers
from pytest_offline_index.client.installers import (
    devpi_env,
    devpi_index_url,
    devpi_install_argv,
    devpi_use_argv,
    uv_binary,
    uv_env,
    uv_install_argv,
    uv_venv_argv,
)
from pytest_offline_index.errors import SettingsError
from pytest_offline_index.inputs.settings import Settings
from tests.support.hermetic_checks import leaked_variables

SIMPLE = "http://10.213.0.5:3141/offline/airgap/+simple/"


def test_pip_is_the_default_and_the_cli_wins_over_the_ini() -> None:
    assert Settings.resolve().installer == "pip"
    assert Settings.resolve(ini={"installer": "pip"}, cli={"installer": "UV"}).installer == "uv"
    assert Settings.resolve(ini={"installer": "devpi"}).installer == "devpi"


def test_an_unknown_installer_is_one_line_naming_the_choices() -> None:
    with pytest.raises(SettingsError) as excinfo:
        Settings.resolve(cli={"installer": "poetry"})
    assert str(excinfo.value) == ("installer: 'poetry' is not an installer; choose one of "
                                  "pip, uv, devpi")


@pytest.mark.parametrize(("installer", "module", "extra", "what"), [
    ("uv", "uv", "uv", "uv"), ("devpi", "devpi", "devpi", "devpi-client")])
def test_an_installer_that_is_not_installed_names_its_extra(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, installer: str, module: str,
        extra: str, what: str) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name.split(".")[0] == module else real(name, *a))
    monkeypatch.setenv("PATH", str(tmp_path))  # and no uv on PATH either
    with pytest.raises(SettingsError) as excinfo:
        Settings.resolve(cli={"installer": installer})
    assert str(excinfo.value).startswith(
        f"installer '{installer}': {what} is not installed; install it beside pytest "
        f"(pip install ")
    assert f"the [{extra}] extra does too" in str(excinfo.value)


def test_uv_on_path_serves_when_it_is_not_installed_beside_pytest(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import uv
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name.split(".")[0] == "uv" else real(name, *a))
    on_path = tmp_path / "uv"
    on_path.symlink_to(uv.find_uv_bin())  # found before find_spec is patched
    monkeypatch.setenv("PATH", str(tmp_path))
    assert uv_binary() == str(on_path)
    assert Settings.resolve(cli={"installer": "uv"}).installer == "uv"


def test_uv_makes_the_venv_of_exactly_the_target_python() -> None:
    argv = uv_venv_argv("uv", "/opt/py/bin/python3.12", "/w/venv")
    assert argv[:2] == ["uv", "venv"] and argv[-1] == "/w/venv"
    assert argv[argv.index("--python") + 1] == "/opt/py/bin/python3.12"
    assert {"--no-config", "--no-cache", "--no-python-downloads", "--no-project"} <= set(argv)
    assert argv[argv.index("--python-preference") + 1] == "only-system"


def test_uv_installs_from_the_index_alone_without_cache_or_config() -> None:
    argv = uv_install_argv("uv", "/w/venv/bin/python", SIMPLE, ["app==1"], "/w/reqs.txt",
                           require_hashes=True)
    assert argv[:3] == ["uv", "pip", "install"]
    assert argv[argv.index("--python") + 1] == "/w/venv/bin/python"
    assert argv[argv.index("--index-url") + 1] == SIMPLE
    assert {"--no-config", "--no-cache", "--require-hashes"} <= set(argv)
    assert argv[argv.index("-r") + 1] == "/w/reqs.txt" and argv[-1] == "app==1"
    assert not [a for a in argv if a.startswith(("--extra-index", "--find-links", "-f"))]


def test_uvs_environment_is_the_hermetic_one_plus_its_own_switches() -> None:
    env = uv_env()
    assert env["UV_NO_CONFIG"] == "1" and env["UV_HTTP_RETRIES"] == "0"
    assert env["PIP_CONFIG_FILE"] == "/dev/null"
    assert not [k for k in leaked_variables(env)
                if k not in ("UV_NO_CONFIG", "UV_PYTHON_DOWNLOADS", "UV_HTTP_RETRIES")]


def test_devpi_uses_the_index_with_its_state_inside_the_venv() -> None:
    assert devpi_index_url(SIMPLE) == "http://10.213.0.5:3141/offline/airgap"
    clientdir = installers.clientdir_for("/w/venv")
    assert clientdir.startswith("/w/venv/")
    use = devpi_use_argv(["devpi"], SIMPLE, clientdir, "/w/venv")
    assert use == ["devpi", "use", "--clientdir", clientdir, "--venv", "/w/venv",
                   "http://10.213.0.5:3141/offline/airgap"]
    install = devpi_install_argv(["devpi"], clientdir, "/w/venv", ["app"], "/w/reqs.txt")
    assert install == ["devpi", "install", "--clientdir", clientdir, "--venv", "/w/venv",
                       "--requirement", "/w/reqs.txt", "app"]


def test_the_pip_devpi_runs_gets_no_config_no_cache_and_trusts_only_the_index() -> None:
    env = devpi_env(SIMPLE)
    assert env["PIP_CONFIG_FILE"] == "/dev/null"
    assert env["PIP_NO_CACHE_DIR"] == "1"
    assert env["PIP_TRUSTED_HOST"] == "10.213.0.5"
    assert "PIP_INDEX_URL" not in env and "PIP_EXTRA_INDEX_URL" not in env
    assert "PIP_FIND_LINKS" not in env
