"""An existing index's settings: its URL is checked, shown only redacted, and its plan is
isolation, then install and import per target (no warm, no cut)."""

from __future__ import annotations

import pytest

from pytest_offline_index.check.plan import plan_steps
from pytest_offline_index.errors import SettingsError
from pytest_offline_index.index.existing import credentials_apart
from pytest_offline_index.inputs.parsing import parse_index_url
from pytest_offline_index.inputs.settings import Settings, redacted
from pytest_offline_index.inputs.targets import Target

PY311, PY312 = Target("3.11", "/usr/bin/python3.11"), Target("3.12", "/usr/bin/python3.12")


def test_credentials_are_redacted_and_nothing_else_changes() -> None:
    assert redacted("https://me:t0ken@repo.example/api/pypi/simple/") == (
        "https://***@repo.example/api/pypi/simple/")
    assert redacted("https://t0ken@repo.example:8443/simple/") == (
        "https://***@repo.example:8443/simple/")
    assert redacted("https://pypi.org/simple/") == "https://pypi.org/simple/"


def test_an_index_url_must_be_http_with_a_host_and_is_shown_redacted_when_it_is_not() -> None:
    assert parse_index_url("https://repo.example/simple") == "https://repo.example/simple/"
    with pytest.raises(SettingsError, match=r"^index url: 'ftp://\*\*\*@repo.example/' is not"):
        parse_index_url("ftp://me:secret@repo.example/")
    with pytest.raises(SettingsError, match="port that is not a number"):
        parse_index_url("https://me:secret@repo.example:port/simple/")


def test_the_relay_allows_the_index_host_and_for_pypi_its_files_host() -> None:
    settings = Settings.resolve(cli={"index_url": "https://pypi.org/simple/"})
    assert settings.allowed_hosts == ("pypi.org:443", "files.pythonhosted.org")
    settings = Settings.resolve(cli={"index_url": "https://u:p@repo.example/simple/",
                                     "allow_hosts": ["cdn.example"]})
    assert settings.allowed_hosts == ("repo.example:443", "cdn.example")


def test_devpi_client_is_refused_for_an_index_that_is_not_a_devpi() -> None:
    with pytest.raises(SettingsError, match="devpi-client installs only from a devpi index"):
        Settings.resolve(cli={"index_url": "https://u:secret@repo.example/simple/",
                              "installer": "devpi"})
    Settings.resolve(cli={"index_url": "http://10.0.0.1:3141/team/prod/+simple/",
                          "installer": "devpi"})


def test_the_plan_is_isolation_then_each_targets_install_and_import() -> None:
    assert [(str(s), t.label if t else None) for s, t in plan_steps([PY311, PY312], True)] == [
        ("isolation", None), ("install", "py3.11"), ("import", "py3.11"),
        ("install", "py3.12"), ("import", "py3.12")]


def test_url_credentials_go_to_a_private_netrc_not_to_any_command_line(tmp_path) -> None:
    user_netrc = tmp_path / "mine.netrc"
    user_netrc.write_text("machine cdn.example login me password other\n")
    bare, netrc = credentials_apart("https://oi-reader:t%40ken@repo.example/simple/",
                                    user_netrc, tmp_path / "index.netrc")
    assert bare == "https://repo.example/simple/"
    assert netrc == tmp_path / "index.netrc"
    assert netrc.stat().st_mode & 0o777 == 0o600
    assert netrc.read_text() == ("machine repo.example login oi-reader password t@ken\n"
                                 "machine cdn.example login me password other\n")
    assert credentials_apart("https://repo.example/simple/", user_netrc,
                             tmp_path / "unused.netrc") == ("https://repo.example/simple/",
                                                            user_netrc)
