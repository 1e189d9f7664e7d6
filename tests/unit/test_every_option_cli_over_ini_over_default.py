"""Every option: the command line wins over the ini file, which wins over the default.

The options are enumerated from their one table (``settings.OPTIONS``), so an option added
without a case here fails ``test_every_option_has_a_case``, one missing from the reference's
table fails ``test_the_readme_table_is_the_option_table``, and each case goes through
pytest's own option and ini parsing into the settings the plugin builds
(``settings_from_config``, and ``report_path`` for the report, which is the plugin's own).
The defaults are the reference's (docs/reference.md).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_offline_index.inputs.parsing import DEFAULT_UPSTREAM
from pytest_offline_index.inputs.settings import OPTIONS
from pytest_offline_index.plugin import hooks as plugin
from pytest_offline_index.plugin import landed


@dataclass(frozen=True)
class Case:
    """One option: its documented default, a value for the ini file, another for the CLI."""

    default: object
    ini: list[str]  # one value, or several lines of a linelist key
    cli: list[str]  # each is one use of the (repeatable) flag
    ini_result: object
    cli_result: object


def cases(tmp: Path) -> dict[str, Case]:
    """A case per option."""
    reqs = {which: tmp / f"{which}-requirements.txt" for which in ("ini", "cli")}
    for which, path in reqs.items():
        path.write_text(f"{which}-pkg==1.0\n")
    netrcs = {which: tmp / f"{which}.netrc" for which in ("ini", "cli")}
    for which, path in netrcs.items():
        path.write_text(f"machine {which}.example login me password secret\n")
    certs = {which: tmp / f"{which}-ca.pem" for which in ("ini", "cli")}
    for path in certs.values():
        path.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    return {
        "packages": Case(("pandas",), ["requests>=2", "six"], ["pydantic", "attrs>=1,<3"],
                         ("requests>=2", "six"), ("pydantic", "attrs<3,>=1")),
        "imports": Case((), ["yaml", "os.path"], ["json"], ("yaml", "os.path"), ("json",)),
        "upstream": Case(DEFAULT_UPSTREAM, ["http://ini.example/simple"],
                         ["http://cli.example/simple/"], "http://ini.example/simple/",
                         "http://cli.example/simple/"),
        "allow_hosts": Case((), ["ini.example", "10.1.2.3"], ["cli.example"],
                            ("ini.example", "10.1.2.3"), ("cli.example",)),
        "subnet": Case(ipaddress.IPv4Network("10.213.0.0/29"), ["172.30.0.0/29"],
                       ["192.168.50.0/28"], ipaddress.IPv4Network("172.30.0.0/29"),
                       ipaddress.IPv4Network("192.168.50.0/28")),
        "gateway": Case(ipaddress.IPv4Address("10.213.0.9"), ["10.99.0.1"], ["10.98.0.1"],
                        ipaddress.IPv4Address("10.99.0.1"),
                        ipaddress.IPv4Address("10.98.0.1")),
        "port": Case(3141, ["4141"], ["5141"], 4141, 5141),
        "requirements": Case(None, [str(reqs["ini"])], [str(reqs["cli"])], reqs["ini"],
                             reqs["cli"]),
        "pythons": Case((), ["3.12", "3.13"], ["3.10"], ("3.12", "3.13"), ("3.10",)),
        "platforms": Case((), ["manylinux2014_aarch64:3.12"], ["musllinux_1_2_x86_64:3.11"],
                          ("manylinux2014_aarch64:3.12",), ("musllinux_1_2_x86_64:3.11",)),
        "workdir": Case(None, [str(tmp / "ini-work")], [str(tmp / "cli-work")],
                        tmp / "ini-work", tmp / "cli-work"),
        "cache_dir": Case(None, [str(tmp / "ini-cache")], [str(tmp / "cli-cache")],
                          tmp / "ini-cache", tmp / "cli-cache"),
        "export": Case(None, [str(tmp / "ini-export")], [str(tmp / "cli-export")],
                       tmp / "ini-export", tmp / "cli-export"),
        "upstream_cert": Case(None, [str(certs["ini"])], [str(certs["cli"])], certs["ini"],
                              certs["cli"]),
        "upstream_proxy": Case(None, ["http://ini.example:3128"], ["none"],
                               "http://ini.example:3128", "none"),
        "index_url": Case(None, ["https://ini.example/simple"],
                          ["https://cli.example/team/+simple/"], "https://ini.example/simple/",
                          "https://cli.example/team/+simple/"),
        "index_cert": Case(None, [str(certs["ini"])], [str(certs["cli"])], certs["ini"],
                           certs["cli"]),
        "index_netrc": Case(None, [str(netrcs["ini"])], [str(netrcs["cli"])], netrcs["ini"],
                            netrcs["cli"]),
        "installer": Case("pip", ["uv"], ["devpi"], "uv", "devpi"),
        "report": Case(None, ["ini-report.json"], ["cli-report.json"],
                       Path("ini-report.json"), Path("cli-report.json")),
        "step_timeout": Case(900.0, ["60"], ["30.5"], 60.0, 30.5),
        "bundle": Case(None, ["ini-bundle"], ["cli-bundle"], "ini-bundle", "cli-bundle"),
        "no_sandbox": Case(True, ["true"], [], False, False),  # as sandboxed() says it
    }


def resolved(config: pytest.Config, field: str) -> object:
    """What the plugin makes of ``field`` for this configuration."""
    if field == "report":
        return plugin.report_path(config)
    if field == "bundle":
        return landed.bundle_path(config)
    if field == "no_sandbox":
        return landed.sandboxed(config)
    return getattr(plugin.settings_from_config(config), field)


BY_FIELD = {option.field: option for option in OPTIONS}
README = Path(__file__).resolve().parents[2] / "docs" / "reference.md"


def ini_text(field: str, values: list[str]) -> str:
    key = BY_FIELD[field].ini
    if BY_FIELD[field].repeatable:
        return f"{key} =\n" + "".join(f"    {value}\n" for value in values)
    (value,) = values
    return f"{key} = {value}\n"


def cli_args(field: str, values: list[str]) -> list[str]:
    flag = BY_FIELD[field].flag
    if BY_FIELD[field].flag_only:  # given or not
        return [flag]
    return [arg for value in values for arg in (flag, value)]


def test_every_option_has_a_case(tmp_path: Path) -> None:
    assert set(cases(tmp_path)) == set(BY_FIELD)


@pytest.mark.parametrize("source", ["default", "ini", "cli over ini"])
@pytest.mark.parametrize("field", list(BY_FIELD))
def test_cli_over_ini_over_default(pytester: pytest.Pytester, field: str, source: str) -> None:
    case = cases(pytester.path)[field]  # KeyError: an option with no case here
    if source == "default":
        pytester.makeini("[pytest]\n")
        config = pytester.parseconfig()
        expected = case.default
    else:
        pytester.makeini("[pytest]\n" + ini_text(field, case.ini))
        if source == "ini":
            config = pytester.parseconfig()
            expected = case.ini_result
        else:
            config = pytester.parseconfig(*cli_args(field, case.cli))
            expected = case.cli_result
    assert resolved(config, field) == expected


def readme_table() -> dict[str, str]:
    """The reference's option table (docs/reference.md): each row's flag and its ini key."""
    rows = re.findall(r"^\| `(--offline-index(?:-[\w-]+)?)[^`]*`[^|]*\| `?([\w—-]+)`? \|",
                      README.read_text(), flags=re.M)
    return dict(rows)


def test_the_readme_table_is_the_option_table() -> None:
    table = readme_table()
    assert table.pop("--offline-index") == "—"  # the switch itself has no ini key
    assert table == {option.flag: option.ini for option in OPTIONS}


def test_every_option_reaches_pytest_with_its_help(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    for option in OPTIONS:
        result.stdout.fnmatch_lines([f"*{option.flag}*", f"*{option.ini}*"])


def test_a_markers_check_leaves_the_export_to_the_offline_index_check(
        pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n")
    config = pytester.parseconfig("--offline-index-export", str(pytester.path / "bundle"))

    assert plugin.settings_from_config(config).export == pytester.path / "bundle"
    marker = plugin.settings_from_config(config, marker=True,
                                         index_url="https://team.example/simple/")
    assert marker.export is None  # and an existing index's marker is not refused for it
    assert marker.index_url == "https://team.example/simple/"


def test_help_names_each_value_as_the_reference_writes_it(pytester: pytest.Pytester) -> None:
    shown = pytester.runpytest_subprocess("--help").stdout.str()
    reference = README.read_text()
    for option in OPTIONS:
        written = option.flag if option.flag_only else f"{option.flag}={option.metavar}"
        assert f"`{written}`" in reference, written
        assert written in shown, written
