"""The relay's proxy is the host's: HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (lower-case too)
with NO_PROXY, or the one named by option, or none; its credentials are never shown."""

from __future__ import annotations

import base64
import socket

import pytest

from pytest_offline_index.errors import SettingsError
from pytest_offline_index.index.cut import upstream_endpoints
from pytest_offline_index.inputs.parsing import parse_proxy
from pytest_offline_index.inputs.settings import Settings
from pytest_offline_index.netns import Endpoint
from pytest_offline_index.relay.host_proxy import (
    ProxyURLError,
    UpstreamProxy,
    bypassed,
    proxies_for,
)


def test_each_scheme_takes_its_own_variable_then_all_proxy() -> None:
    proxies = proxies_for(None, {"https_proxy": "http://tls.example:3128",
                                 "ALL_PROXY": "http://all.example:8080"})
    assert proxies.for_host("https", "pypi.org") == UpstreamProxy("tls.example", 3128)
    assert proxies.for_host("http", "pypi.org") == UpstreamProxy("all.example", 8080)


def test_lower_case_wins_as_in_curl_and_requests() -> None:
    proxies = proxies_for(None, {"https_proxy": "http://lower:1", "HTTPS_PROXY": "http://upper:2"})
    assert proxies.for_host("https", "pypi.org") == UpstreamProxy("lower", 1)


def test_no_proxy_exempts_hosts_domains_networks_and_everything() -> None:
    exempt = ("internal.example", ".corp.example", "10.0.0.0/8", "localhost")
    assert bypassed("internal.example", exempt)
    assert bypassed("mirror.corp.example", exempt) and bypassed("corp.example", exempt)
    assert bypassed("10.1.2.3", exempt) and not bypassed("11.1.2.3", exempt)
    assert not bypassed("pypi.org", exempt) and not bypassed("notinternal.example", exempt)
    assert bypassed("pypi.org", ("*",))
    assert bypassed("::1", ("[::1]",)) and bypassed("[::1]", ("::1",))
    proxies = proxies_for(None, {"HTTPS_PROXY": "http://p:3128",
                                 "NO_PROXY": "pypi.org:443, .corp.example"})
    assert proxies.for_host("https", "pypi.org") is None
    assert proxies.for_host("https", "files.pythonhosted.org") == UpstreamProxy("p", 3128)


def test_the_option_wins_over_the_environment_and_none_turns_it_off() -> None:
    env = {"HTTPS_PROXY": "http://env:1"}
    assert proxies_for("http://opt:2", env).for_host("https", "pypi.org") == (
        UpstreamProxy("opt", 2))
    assert proxies_for("none", env).for_host("https", "pypi.org") is None
    assert proxies_for(None, {}).by_scheme == {}


def test_credentials_become_the_authorization_and_are_never_shown() -> None:
    proxy = UpstreamProxy.from_url("http://me%40corp:pa%3Ass@10.0.0.1:3128")
    assert proxy.authorization == "Basic " + base64.b64encode(b"me@corp:pa:ss").decode()
    assert str(proxy) == "proxy 10.0.0.1:3128"
    assert "pa" not in repr(proxy) and "corp" not in repr(proxy)
    assert "pa:ss" not in str(proxies_for("http://me:pa:ss@10.0.0.1:3128"))


def test_a_proxy_url_it_cannot_use_is_one_line_without_its_credentials() -> None:
    with pytest.raises(ProxyURLError, match="only an http:// proxy"):
        UpstreamProxy.from_url("https://me:secret@proxy.example:443")
    with pytest.raises(SettingsError, match=r"^upstream proxy: proxy proxy.example: its port "
                                            r"is not a number$"):
        parse_proxy("http://me:secret@proxy.example:port")
    try:
        parse_proxy("https://me:secret@proxy.example:443")
    except SettingsError as exc:
        assert "secret" not in str(exc)
    assert parse_proxy("NONE") == "none"
    assert parse_proxy("proxy.example:3128") == "proxy.example:3128"


def test_behind_a_proxy_the_upstream_need_not_resolve_here() -> None:
    """The proxy resolves the upstream: a host whose own DNS knows no outside names runs the
    check; the proxy's address joins what the cut proves unreachable."""
    settings = Settings.resolve(cli={"upstream": "https://no-such-host.invalid/simple/",
                                     "upstream_proxy": "http://127.0.0.1:3128"})
    assert upstream_endpoints(settings) == [Endpoint(socket.AF_INET, "127.0.0.1", 3128)]
    without = Settings.resolve(cli={"upstream": "https://no-such-host.invalid/simple/",
                                    "upstream_proxy": "none"})
    with pytest.raises(SettingsError, match="its host does not resolve"):
        upstream_endpoints(without)
