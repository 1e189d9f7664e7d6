"""How the run's devpi-server is launched: devpi-init and devpi-server in one interpreter,
with what a throwaway server on private namespaces can do without, and the upstream's
credentials passed as a header its mirror sends, never in the mirror URL."""

from __future__ import annotations

import base64
from urllib.parse import unquote

from ..util.redaction import split_userinfo

AUTHORIZATION_VARIABLE = "OFFLINE_INDEX_UPSTREAM_AUTHORIZATION"  # read once by LAUNCH

# What the run's throwaway server can do without (see docs/benchmark.md).
# - devpi derives a key from its auth secret with argon2 at every start (~3.6 s with its
#   defaults). The secret lives for one run, on private namespaces no one else can reach,
#   so the cheapest parameters argon2 accepts are safe.
# - Its event thread runs plugin hooks (devpi-web's search index) for every changed key:
#   thousands for one mirror page, each a no-op for a mirror, all contending for the GIL
#   with the requests being served. The harness installs no devpi plugin (one installed
#   beside it would get no events from this throwaway server), so requests only.
THROWAWAY_ARGS = ("--argon2-memory-cost", "8", "--argon2-time-cost", "1",
                  "--argon2-parallelism", "1", "--requests-only")


# devpi-init and devpi-server in one interpreter: importing devpi twice cost ~0.6 s of
# every start. Its arguments: root's password (empty: a kept server dir, no init), the
# server dir, then devpi-server's own.
LAUNCH = """\
import sys
password, serverdir, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
import os
# The upstream's credentials, as the header its mirror sends with every request (the
# mirror URL holds none): taken out of the environment before anything else starts.
authorization = os.environ.pop("OFFLINE_INDEX_UPSTREAM_AUTHORIZATION", "")
if authorization:
    import devpi_server.mirror
    configured = devpi_server.mirror.MirrorStage.mirror_url_authorization_header
    devpi_server.mirror.MirrorStage.mirror_url_authorization_header = property(
        lambda stage: configured.fget(stage) or authorization)
# Users' passwords, like the auth secret, with the cheapest argon2: devpi hashes at its
# defaults (~0.17 s each) the root password at init, at login, and the index user's.
import devpi_server.auth
from passlib.context import CryptContext
devpi_server.auth.pwd_context = CryptContext(
    schemes=["argon2"], deprecated="auto",
    argon2__memory_cost=8, argon2__rounds=1, argon2__parallelism=1)
if password:
    from devpi_server.init import init
    if init(argv=["devpi-init", "--serverdir", serverdir, "--no-root-pypi",
                  "--root-passwd=" + password]):
        sys.exit("devpi-init failed")
from devpi_server.main import main
sys.exit(main(argv=["devpi-server", "--serverdir", serverdir, *argv]))
"""


def basic_authorization(url: str) -> str | None:
    """The ``Authorization`` header ``url``'s credentials make (percent-decoded), or None."""
    _, userinfo, _ = split_userinfo(url)
    if userinfo is None:
        return None
    user, _, password = userinfo.partition(":")
    secret = f"{unquote(user)}:{unquote(password)}".encode()
    return "Basic " + base64.b64encode(secret).decode()
