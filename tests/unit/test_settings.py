"""Settings: parsing, precedence (CLI over ini over default) and one-line errors."""

from __future__ import annotations

import ipaddress

import pytest

from pytest_offline_index.errors import SettingsError
from pytest_offline_index.inputs.parsing import DEFAULT_UPSTREAM
from pytest_offline_index.inputs.settings import Settings


def test_defaults_check_pandas_against_the_public_index() -> None:
    settings = Settings.resolve()
    assert settings.packages == ("pandas",)
    assert settings.imports == ()
    assert settings.upstream == DEFAULT_UPSTREAM
    assert settings.distribution_names == ("pandas",)


def test_cli_wins_over_ini_which_wins_over_default() -> None:
    ini = {"packages": ["requests"], "upstream": "http://ini.example/simple"}
    cli = {"packages": ["pydantic>=2", "pandas"], "upstream": None}
    settings = Settings.resolve(cli=cli, ini=ini)
    assert settings.packages == ("pydantic>=2", "pandas")
    assert settings.upstream == "http://ini.example/simple/"
    assert Settings.resolve(ini=ini).packages == ("requests",)


def test_specs_keep_commas_markers_and_extras() -> None:
    settings = Settings.resolve(cli={"packages": ["pandas>=2,<4", "requests[socks]"]})
    assert settings.packages == ("pandas<4,>=2", "requests[socks]")
    assert settings.distribution_names == ("pandas", "requests")


@pytest.mark.parametrize(
    ("key", "value", "named"),
    [
        ("packages", ["pandas>>=1"], "'pandas>>=1'"),
        ("packages", ["pip @ https://example.org/pip.whl"], "names a URL"),
        ("imports", ["not-a-module"], "'not-a-module'"),
        ("upstream", "ftp://example.org/simple", "'ftp://example.org/simple'"),
        ("subnet", "10.0.0.0/30", "smaller than a /29"),
        ("subnet", "8.8.0.0/16", "not a private range"),
        ("subnet", "10.0.0.300/16", "not an IPv4 network"),
        ("gateway", "10.213.0.300", "'10.213.0.300' is not an IPv4 address"),
        ("gateway", "127.0.0.9", "not a private, non-loopback address"),
        ("gateway", "10.213.0.2", "lies inside the server's links 10.213.0.0/29"),
        ("allow_hosts", ["https://files.example.org/"], "is not a host name or an IP"),
        ("allow_hosts", ["bad_host!"], "'bad_host!' is not a host name"),
        ("port", "70000", "'70000'"),
        ("step_timeout", "-3", "'-3'"),
    ],
)
def test_bad_values_raise_one_line_naming_the_value(key: str, value: object,
                                                    named: str) -> None:
    with pytest.raises(SettingsError) as excinfo:
        Settings.resolve(cli={key: value})
    message = str(excinfo.value)
    assert named in message
    assert "\n" not in message


def test_subnet_gateway_and_port_are_parsed() -> None:
    settings = Settings.resolve(ini={"subnet": "172.31.0.0/24", "gateway": "172.31.9.1",
                                     "port": "4141"})
    assert settings.subnet == ipaddress.IPv4Network("172.31.0.0/24")
    assert settings.gateway == ipaddress.IPv4Address("172.31.9.1")
    assert settings.port == 4141


def test_the_relay_allows_the_upstream_its_file_host_and_what_the_user_adds() -> None:
    # the upstream's own origin, port and all; a bare allowed host: its ports 443 and 80
    assert Settings().allowed_hosts == ("pypi.org:443", "files.pythonhosted.org")
    mirror = Settings.resolve(cli={"upstream": "http://Mirror.example:8080/simple/",
                                   "allow_hosts": ["Files.Example", "10.1.2.3:8443"]})
    assert mirror.allowed_hosts == ("mirror.example:8080", "files.example", "10.1.2.3:8443")


def test_workdir_must_be_writable(tmp_path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(SettingsError, match="is not a writable directory"):
        Settings.resolve(cli={"workdir": str(blocker / "sub")})
    assert Settings.resolve(cli={"workdir": str(tmp_path / "new")}).workdir == tmp_path / "new"
