"""devpi-server verifies the upstream with the host's CA bundle: REQUESTS_CA_BUNDLE, else
CURL_CA_BUNDLE, else SSL_CERT_FILE, else OpenSSL's default; a bundle named by option must be
a readable PEM."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from pytest_offline_index.devpi.trust import devpi_trust_env, host_ca_bundle
from pytest_offline_index.errors import SettingsError
from pytest_offline_index.inputs.parsing import parse_cert

PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def bundle(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.write_text(PEM)
    return path


def test_requests_ca_bundle_wins_then_ssl_cert_file(tmp_path: Path) -> None:
    requests_ca, ssl_file = bundle(tmp_path, "requests.pem"), bundle(tmp_path, "ssl.pem")
    env = {"REQUESTS_CA_BUNDLE": str(requests_ca), "SSL_CERT_FILE": str(ssl_file)}
    assert host_ca_bundle(env) == requests_ca
    assert host_ca_bundle({"SSL_CERT_FILE": str(ssl_file)}) == ssl_file
    curl = bundle(tmp_path, "curl.pem")  # what devpi reads itself, second
    assert host_ca_bundle({"CURL_CA_BUNDLE": str(curl), "SSL_CERT_FILE": str(ssl_file)}) == curl


def test_a_variable_naming_no_file_is_passed_over(tmp_path: Path) -> None:
    ssl_file = bundle(tmp_path, "ssl.pem")
    env = {"REQUESTS_CA_BUNDLE": str(tmp_path / "gone.pem"), "SSL_CERT_FILE": str(ssl_file)}
    assert host_ca_bundle(env) == ssl_file


def test_without_variables_it_is_the_bundle_openssl_uses() -> None:
    defaults = ssl.get_default_verify_paths()
    expected = next((Path(p) for p in (defaults.cafile, defaults.openssl_cafile)
                     if p and Path(p).is_file()), None)
    assert host_ca_bundle({}) == expected


def test_devpi_gets_the_bundle_under_both_names_it_reads(tmp_path: Path) -> None:
    path = bundle(tmp_path, "ca.pem")
    assert devpi_trust_env(path) == {"REQUESTS_CA_BUNDLE": str(path),
                                     "CURL_CA_BUNDLE": str(path)}
    assert devpi_trust_env(None) == {}


def test_a_bundle_that_is_missing_or_no_pem_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"upstream cert: '.*gone.pem' cannot be read"):
        parse_cert(str(tmp_path / "gone.pem"))
    (tmp_path / "key.txt").write_text("not a certificate\n")
    with pytest.raises(SettingsError, match="holds no PEM certificate"):
        parse_cert(str(tmp_path / "key.txt"))
    assert parse_cert(str(bundle(tmp_path, "ok.pem"))) == tmp_path / "ok.pem"
