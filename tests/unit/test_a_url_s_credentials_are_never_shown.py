"""One redaction: a URL's userinfo, whatever characters it holds, read up to the last ``@``;
hidden wherever a URL is shown, taken out wherever one is kept, refused where no parser can
read it."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from pytest_offline_index.bundle.devpi import carried_without_credentials
from pytest_offline_index.devpi.launch import basic_authorization
from pytest_offline_index.errors import BundleError, SettingsError
from pytest_offline_index.inputs.parsing import parse_index_url, parse_upstream
from pytest_offline_index.inputs.settings import Settings
from pytest_offline_index.inputs.settings import redacted as settings_redacted
from pytest_offline_index.relay.host_proxy import ProxyURLError, UpstreamProxy
from pytest_offline_index.util.redaction import (
    redacted,
    scrub,
    secrets_of,
    split_userinfo,
    unreadable_userinfo,
    without_credentials,
)

SECRET = "Zx9/t0k@en#v4?l:ue=="
ENCODED = "Zx9%2Ft0k%40en%23v4%3Fl%3Aue%3D%3D"


@pytest.mark.parametrize(("url", "shown"), [
    ("https://pypi.org/simple/", "https://pypi.org/simple/"),
    ("https://me:t0ken@repo.example/simple/", "https://***@repo.example/simple/"),
    ("https://t0ken@repo.example:8443/simple/", "https://***@repo.example:8443/simple/"),
    (f"https://me:{ENCODED}@repo.example/simple/", "https://***@repo.example/simple/"),
    # raw: "/" (a base64 token's), "?" and "#" end the host part for urlsplit
    ("https://me:ab/cd+ef==@repo.example/simple/", "https://***@repo.example/simple/"),
    (f"https://me:{SECRET}@repo.example/simple/", "https://***@repo.example/simple/"),
    ("https://ab/cd@repo.example/simple/", "https://***@repo.example/simple/"),
    ("http://me:p@ss@repo.example:3128", "http://***@repo.example:3128"),
    ("https://me:secret@repo.example:port/simple/", "https://***@repo.example:port/simple/"),
    ("me:s/cret@proxy.example:3128", "***@proxy.example:3128"),  # a bare proxy host:port
    ("https://u:p@[::1]:8443/simple/", "https://***@[::1]:8443/simple/"),
    ("https://repo.example/simple/?a=1#top", "https://repo.example/simple/?a=1#top"),
    # an "@" in the path after the host: nothing is hidden where the host part has none...
    ("https://me:pw@repo.example/simple/a@b/", "https://***@repo.example/simple/a@b/"),
    # ...but where the host part has none, the safe guess hides up to the last "@"
    ("https://repo.example/simple/a@b/", "https://***@b/"),
])
def test_redacted_hides_the_whole_userinfo(url: str, shown: str) -> None:
    assert redacted(url) == shown
    assert settings_redacted is redacted  # the one redaction, also where it always was


def test_the_userinfo_is_split_at_the_last_at_sign() -> None:
    assert split_userinfo(f"https://me:{SECRET}@h:1/s/") == ("https://", f"me:{SECRET}", "h:1/s/")
    assert split_userinfo("h:1") == ("", None, "h:1")
    assert without_credentials(f"https://me:{ENCODED}@h:1/s/") == "https://h:1/s/"
    assert without_credentials("https://h/s/") == "https://h/s/"


def test_a_raw_slash_question_mark_or_hash_in_the_credentials_is_named_with_the_fix() -> None:
    why = unreadable_userinfo(f"https://me:{SECRET}@repo.example/simple/")
    assert why is not None and "'#', '/', '?'" in why and "'/' as %2F" in why
    assert unreadable_userinfo(f"https://me:{ENCODED}@repo.example/simple/") is None
    assert unreadable_userinfo("https://me:p@ss:w0rd@repo.example/simple/") is None
    assert unreadable_userinfo("https://repo.example/simple/") is None


@pytest.mark.parametrize("parse", [parse_index_url, parse_upstream])
def test_an_unreadable_url_is_refused_in_one_line_showing_it_redacted(parse) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SettingsError) as caught:
        parse(f"https://me:{SECRET}@repo.example/simple/")
    line = str(caught.value)
    assert "'https://***@repo.example/simple/'" in line and "percent-encode" in line
    assert "\n" not in line and "t0k" not in line and "me:" not in line
    assert parse(f"https://me:{ENCODED}@repo.example/simple/").endswith(ENCODED
                                                                        + "@repo.example/simple/")


def test_a_port_that_is_not_a_number_is_named_with_the_fix_and_no_secret() -> None:
    with pytest.raises(SettingsError, match=r"'https://\*\*\*@repo.example:port/simple/' has "
                                            r"a port that is not a number; give digits"):
        parse_index_url(f"https://me:{ENCODED}@repo.example:port/simple/")


def test_an_upstream_that_is_not_http_is_shown_redacted() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.resolve(cli={"upstream": f"ftp://me:{ENCODED}@mirror.example/simple/"})
    assert "ftp://***@mirror.example/simple/" in str(caught.value)
    assert ENCODED not in str(caught.value)


def test_a_proxy_url_with_a_raw_slash_is_refused_without_its_user_or_password() -> None:
    with pytest.raises(ProxyURLError) as caught:
        UpstreamProxy.from_url("http://proxy-user:pa/ss@proxy.example:3128")
    assert "http://***@proxy.example:3128" in str(caught.value)
    assert "proxy-user" not in str(caught.value) and "pa/ss" not in str(caught.value)
    proxy = UpstreamProxy.from_url(f"http://proxy-user:{ENCODED}@proxy.example:3128")
    assert proxy.authorization == "Basic " + base64.b64encode(
        f"proxy-user:{SECRET}".encode()).decode()


def test_devpi_is_given_the_credentials_decoded_as_a_header() -> None:
    assert basic_authorization(f"https://me:{ENCODED}@h/s/") == (
        "Basic " + base64.b64encode(f"me:{SECRET}".encode()).decode())
    assert basic_authorization("https://h/s/") is None


def test_every_form_of_a_secret_is_scrubbed_from_text() -> None:
    url = f"https://me-user:{ENCODED}@repo.example/simple/"
    basic = base64.b64encode(f"me-user:{SECRET}".encode()).decode()
    text = (f"GET {url}x/ then {SECRET} and {ENCODED} and {ENCODED.lower()} "
            f"and Authorization: Basic {basic}")
    clean = scrub(text, [url, None])
    assert clean == ("GET https://***@repo.example/simple/x/ then *** and *** and *** "
                     "and Authorization: Basic ***")
    assert set(secrets_of(url)) >= {SECRET, ENCODED, basic}
    assert secrets_of("https://repo.example/simple/") == ()
    assert "tk" not in secrets_of("https://tk@h/")  # too short to tell apart in text


def test_the_devpi_export_keeps_the_mirror_and_its_files_without_credentials(
        tmp_path: Path) -> None:
    upstream = f"http://me:{ENCODED}@127.0.0.1:8080/simple/"
    index = {"dumpversion": "2", "indexes": {
        "root/pypi": {"indexconfig": {"type": "mirror", "mirror_url": upstream},
                      "files": [{"entrymapping": {
                          "url": f"http://me:{ENCODED}@127.0.0.1:8080/files/a-1.0.whl"}}]},
        "offline/airgap": {"indexconfig": {"type": "stage", "bases": ["root/pypi"]}}}}
    (tmp_path / "dataindex.json").write_text(json.dumps(index))
    carried_without_credentials(tmp_path)
    written = (tmp_path / "dataindex.json").read_text()
    data = json.loads(written)
    assert data["indexes"]["root/pypi"]["indexconfig"]["mirror_url"] == (
        "http://127.0.0.1:8080/simple/")
    assert data["indexes"]["root/pypi"]["files"][0]["entrymapping"]["url"] == (
        "http://127.0.0.1:8080/files/a-1.0.whl")
    assert ENCODED not in written and "me:" not in written


def test_an_export_whose_credentials_cannot_be_taken_out_fails(tmp_path: Path) -> None:
    upstream = f"http://me:{ENCODED}@127.0.0.1:8080/simple/"
    index = {"indexes": {"root/pypi": {"indexconfig": {"mirror_url": upstream},
                                       "log": [{"what": f"fetched with {SECRET}"}]}}}
    (tmp_path / "dataindex.json").write_text(json.dumps(index))
    with pytest.raises(BundleError, match="could not be taken out"):
        carried_without_credentials(tmp_path)


def test_the_settings_repr_holds_no_url_s_credentials() -> None:
    from pytest_offline_index.inputs.settings import Settings

    secret = "Zx9%2Ft0k%40en"
    settings = Settings(upstream=f"https://u:{secret}@up.example/simple/",
                        index_url=f"https://u:{secret}@idx.example/simple/",
                        upstream_proxy=f"http://u:{secret}@proxy.example:3128")
    assert secret not in repr(settings)
