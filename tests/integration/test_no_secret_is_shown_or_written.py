"""No secret anywhere: credentials in ``--offline-index-url``, ``--offline-index-upstream``
and ``--offline-index-upstream-proxy`` are used — the index and the proxy refuse anyone
without them, and the runs pass — and appear in no output line, JSON report, junit file,
exported file or file of the work dir, in any form (as written, percent-encoded,
percent-decoded, as the Basic authorization sent). The passwords hold ``/``, ``@``, ``#``,
``?`` and ``:``, percent-encoded where a URL needs it; written raw, the URL is refused in
one line that shows it redacted."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.support.authproxy import AuthProxy
from tests.support.dists import Dist
from tests.support.upstream import LocalUpstream

USER, PASSWORD = "leak-index-user", "Zx9/t0k@en#v4?l:ue=="
PROXY_USER, PROXY_PASSWORD = "leak-proxy-user", "Px7/pr0@xy#s3?c:ret=="


def forms(user: str, password: str) -> set[str]:
    """Every way these credentials could be written down."""
    encoded = quote(password, safe="")
    return {user, password, encoded, encoded.lower(), quote(user, safe=""),
            base64.b64encode(f"{user}:{password}".encode()).decode()}


SECRETS = forms(USER, PASSWORD) | forms(PROXY_USER, PROXY_PASSWORD)
# The work dir keeps, while an existing index's run lasts, the netrc every installer reads
# its credentials from (mode 0600: never a command line). Nothing else, and never a log:
# devpi-server is given its mirror URL bare, so neither its database nor its log holds one.
NETRC = "index.netrc"

# A conftest of the inner run: at the end of its session, before the plugin tears the work
# dir down, every file in it that holds a secret (its fullest, not what is left after).
CONFTEST = '''
import pathlib

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session):
    root = pathlib.Path({workdir!r})
    secrets = [s.encode() for s in pathlib.Path({secrets!r}).read_text().split("\\n") if s]
    found = [str(p.relative_to(root)) for p in sorted(root.rglob("*"))
             if p.is_file() and not p.is_symlink() and any(s in p.read_bytes() for s in secrets)]
    pathlib.Path({found!r}).write_text("\\n".join(found))
'''


def with_credentials(url: str, user: str, password: str) -> str:
    return url.replace("://", f"://{quote(user, safe='')}:{quote(password, safe='')}@", 1)


def leaks(texts: Iterable[str]) -> list[str]:
    return sorted({secret for text in texts for secret in SECRETS if secret in text})


def files_under(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_bytes().decode(errors="replace")
            for p in sorted(root.rglob("*")) if p.is_file()}


def run_with_credentials(pytester: pytest.Pytester, name: str, *args: str) -> dict[str, Any]:
    """``pytest --offline-index ARGS`` with a report, a junit file and a work dir of its
    own; what it showed and wrote, and the work dir's files that held a secret."""
    workdir = pytester.path / f"work-{name}"
    workdir.mkdir()
    secrets = pytester.path / "secrets.txt"
    secrets.write_text("\n".join(sorted(SECRETS)) + "\n")
    found = pytester.path / f"found-{name}.txt"
    pytester.makeconftest(CONFTEST.format(workdir=str(workdir), secrets=str(secrets),
                                          found=str(found)))
    result = pytester.runpytest_subprocess(
        "--offline-index", "-p", "no:cacheprovider", "-v", "-rA",
        f"--offline-index-workdir={workdir}", f"--offline-index-report=report-{name}.json",
        f"--junitxml=junit-{name}.xml", *args)
    written = {f"report-{name}.json": (pytester.path / f"report-{name}.json").read_text(),
               f"junit-{name}.xml": (pytester.path / f"junit-{name}.xml").read_text(),
               **{f"left in the work dir: {k}": v for k, v in files_under(workdir).items()}}
    return {"result": result, "written": written,
            "held": [line for line in found.read_text().splitlines() if line]}


def test_credentials_reach_the_index_and_the_proxy_and_appear_nowhere(
        pytester: pytest.Pytester, upstream: LocalUpstream, unique: Any) -> None:
    app = Dist(unique("leak-app"), "1.0", requires=[unique("leak-dep")])
    upstream.publish(app, Dist(unique("leak-dep"), "2.0"))
    with upstream.requiring(USER, PASSWORD), AuthProxy(PROXY_USER, PROXY_PASSWORD) as proxy:
        refused = pytester.runpytest_subprocess(  # the index refuses anyone without them
            "--offline-index", "-p", "no:cacheprovider", f"--offline-index-url={upstream.url}",
            f"--offline-index-package={app.name}",
            f"--offline-index-upstream-proxy={proxy.url()}")
        refused.assert_outcomes(passed=1, failed=1, skipped=1)
        own = run_with_credentials(
            pytester, "own", f"--offline-index-package={app.name}",
            f"--offline-index-upstream={with_credentials(upstream.url, USER, PASSWORD)}",
            f"--offline-index-upstream-proxy={proxy.url()}", "--offline-index-export=export")
        existing = run_with_credentials(
            pytester, "existing", f"--offline-index-package={app.name}",
            f"--offline-index-url={with_credentials(upstream.url, USER, PASSWORD)}",
            f"--offline-index-upstream-proxy={proxy.url()}")
    own["result"].assert_outcomes(passed=5)  # warm, cut, install, import, bundle
    existing["result"].assert_outcomes(passed=3)  # isolation, install, import
    assert proxy.tunnels and proxy.refused == 0  # every tunnel carried the credentials
    exported = files_under(pytester.path / "export")
    assert "devpi/dataindex.json" in exported and "manifest.json" in exported
    texts = {f"export/{k}": v for k, v in exported.items()}
    for run in (own, existing):
        texts.update(run["written"])
        texts[f"output {id(run)}"] = "\n".join([*run["result"].outlines,
                                                *run["result"].errlines])
    assert {where: leaks([text]) for where, text in texts.items() if leaks([text])} == {}
    # while the runs lasted, only the existing index's netrc held them
    assert own["held"] == []
    assert [Path(path).name for path in existing["held"]] == [NETRC]
    shown = upstream.url.replace("://", "://***@")
    assert shown in own["written"]["report-own.json"]  # the upstream, redacted
    assert shown in existing["written"]["report-existing.json"]  # the index, redacted
    assert f'"mirror_url": "{upstream.url}"' in exported["devpi/dataindex.json"]


@pytest.mark.parametrize("option", ["--offline-index-url", "--offline-index-upstream",
                                    "--offline-index-upstream-proxy"])
def test_a_password_written_raw_is_refused_in_one_line_that_shows_it_redacted(
        pytester: pytest.Pytester, option: str) -> None:
    """A raw ``/`` (a base64 token's) ends the host part for every URL parser: the URL is
    refused before anything starts, naming the fix, with no secret in the line."""
    url = f"http://{USER}:{PASSWORD}@127.0.0.1:8080/simple/"
    result = pytester.runpytest_subprocess("--offline-index", "-p", "no:cacheprovider",
                                           f"{option}={url}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    (line,) = [line for line in result.errlines if line.strip()]
    assert "http://***@127.0.0.1:8080/simple/" in line and "percent-encode" in line
    assert "Traceback" not in line
    assert leaks([*result.outlines, *result.errlines]) == []
