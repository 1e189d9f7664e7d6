"""What devpi-server trusts when it fetches from the upstream: the host's CA bundle.

devpi-server reads only ``REQUESTS_CA_BUNDLE`` and ``CURL_CA_BUNDLE``, else certifi's own
bundle — never ``SSL_CERT_FILE`` nor the system store the host's Python trusts — so a host
behind a TLS-inspecting proxy, whose CA is in the system bundle, would fail every warm. The
harness finds the bundle the host trusts and hands it to devpi the way devpi reads it.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from pathlib import Path

DEVPI_READS = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")  # devpi_server/httpclient.py


def host_ca_bundle(env: Mapping[str, str] | None = None) -> Path | None:
    """``REQUESTS_CA_BUNDLE``, else ``CURL_CA_BUNDLE`` (what devpi would read itself), else
    ``SSL_CERT_FILE``, else the bundle OpenSSL uses by default; the first that names a file
    (None: devpi keeps certifi's)."""
    env = os.environ if env is None else env
    defaults = ssl.get_default_verify_paths()
    for candidate in (env.get("REQUESTS_CA_BUNDLE"), env.get("CURL_CA_BUNDLE"),
                      env.get("SSL_CERT_FILE"), defaults.cafile, defaults.openssl_cafile):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def devpi_trust_env(bundle: Path | None) -> dict[str, str]:
    """The variables that make devpi-server verify the upstream with ``bundle``."""
    return {name: str(bundle) for name in DEVPI_READS} if bundle is not None else {}
