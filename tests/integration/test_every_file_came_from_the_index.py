"""A pass means every file came from the index under test, whatever route another got in by.

A requirements file naming another source is refused before anything starts (file:line).
Past that check — here a test-only switch turns it off, standing for any route it cannot see
(a config file the hermetic environment missed, a bug) — the same wheel from a local
directory still fails: at the warm (devpi holds no file with its bytes) and at the install
(the installer's own record says where it came from), naming the distribution and its source.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_offline_index.errors import ForeignFileError, SettingsError, WarmError
from tests.support.dists import Dist

INSTALLERS = ["pip", "uv", "devpi"]


def smuggling_requirements(tmp_path: Path, local: Dist, *also: str) -> Path:
    """A requirements file whose first line points at a directory holding ``local``."""
    wheels = tmp_path / "wheels"
    local.write(wheels)
    path = tmp_path / "requirements.txt"
    path.write_text(f"--find-links {wheels}\n" + "".join(f"{r}\n" for r in (*also, local.name)))
    return path


def skip_the_input_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """The route the input check does not see: the check itself switched off."""
    for module in ("pytest_offline_index.client.venv", "pytest_offline_index.index.warm"):
        monkeypatch.setattr(f"{module}.check_sources", lambda path: None)


@pytest.mark.parametrize("installer", INSTALLERS)
def test_a_requirements_file_naming_find_links_is_refused_with_file_and_line(
        upstream, make_scenario, unique, tmp_path, installer: str) -> None:
    reqs = smuggling_requirements(tmp_path, Dist(unique("localonly"), "1.0"))
    with pytest.raises(SettingsError) as caught:
        make_scenario(upstream, installer=installer, requirements=str(reqs))
    assert f"{reqs}:1: --find-links names a source other than the index under test" in str(
        caught.value)


@pytest.mark.parametrize("installer", INSTALLERS)
def test_a_wheel_slipped_past_the_input_check_fails_the_install_naming_its_source(
        upstream, make_scenario, unique, tmp_path, monkeypatch, installer: str) -> None:
    app, local = Dist(unique("app"), "1.0"), Dist(unique("localonly"), "1.0")
    upstream.publish(app)
    scenario = make_scenario(upstream, app.name, installer=installer)
    scenario.warm()
    scenario.cut()
    reqs = smuggling_requirements(tmp_path, local, app.name)
    skip_the_input_check(monkeypatch)

    venv = scenario.index.fresh_venv()
    with pytest.raises(ForeignFileError) as caught:
        venv.install(requirements_file=reqs)
    message = str(caught.value)
    assert f"{local.name} 1.0: from file://{tmp_path}/wheels/{local.filename}, not from the " \
           f"index under test" in message, message
    assert app.name not in " ".join(caught.value.foreign)  # the index's own file is fine


def test_a_wheel_slipped_past_the_input_check_fails_the_warm_naming_the_file(
        upstream, make_scenario, unique, tmp_path, monkeypatch) -> None:
    local = Dist(unique("localonly"), "1.0")
    reqs = smuggling_requirements(tmp_path, local)
    scenario = make_scenario(upstream, "placeholder")
    skip_the_input_check(monkeypatch)
    scenario.index.start()
    with pytest.raises(WarmError) as caught:
        scenario.index.warm(requirements_file=reqs)
    assert f"{local.filename}: not fetched through the index under test" in str(caught.value)
