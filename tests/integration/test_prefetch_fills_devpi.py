"""The warm's head start: pip resolves the set from the upstream, devpi fetches it all in
parallel, and the warm's own hermetic download then needs nothing more from the upstream.

The head start is only worth keeping if it is complete: a file it missed would be fetched
by the proof download in series again (and a wrong one would sit in the cache unasked).
"""

from __future__ import annotations

import sys

from pytest_offline_index import AirgapScenario, OfflineIndex, Settings
from pytest_offline_index.prefetch import Wanted, fetch, resolve
from tests.support.dists import Dist


def test_resolved_set_is_fetched_in_parallel_and_the_proof_needs_no_more(
        upstream, unique, tmp_path) -> None:
    app, lib, base = unique("app"), unique("lib"), unique("base")
    upstream.publish(Dist(app, "1.0", requires=[f"{lib}>=1"]),
                     Dist(lib, "1.0", requires=[base]), Dist(base, "2.0"),
                     Dist(base, "1.0"), Dist(unique("unrelated"), "1.0"))
    chain = sorted(d.filename for d in (Dist(app, "1.0"), Dist(lib, "1.0"), Dist(base, "2.0")))
    settings = Settings.resolve(cli={**upstream.settings})
    with OfflineIndex(settings, workdir=tmp_path / "run", progress=lambda line: None) as index:
        assert index.relay is not None and index.topology is not None
        server_ns = index.topology.names.server_ns
        warmer = index.fresh_venv(name="resolver")
        wanted = resolve(warmer.python, [app], upstream=settings.upstream,
                         proxy=index.relay.url, namespace=server_ns,
                         report=tmp_path / "report.json", timeout=120)
        assert sorted(w.filename for w in wanted) == chain  # pip's resolution, not a guess
        assert index.cached_files() == []  # resolving went around devpi

        assert fetch(index.simple_url, wanted, namespace=server_ns) == 3
        assert index.cached_files() == chain  # devpi holds them: they crossed once

        before = index.relay.stats()
        warmed = index.warm([app])
        assert sorted(f.name for f in next(iter(warmed.values())).files) == chain
        assert (index.relay.stats() - before).requests == 0  # the proof found it all there


def test_a_file_devpi_cannot_serve_is_not_counted(upstream, unique, tmp_path) -> None:
    name = unique("listed")
    upstream.publish(Dist(name, "1.0"))
    settings = Settings.resolve(cli={**upstream.settings})
    with OfflineIndex(settings, workdir=tmp_path / "run", progress=lambda line: None) as index:
        assert index.topology is not None
        missing = Wanted(name, Dist(name, "9.9").filename)  # not on the upstream's page
        assert fetch(index.simple_url, [missing],
                     namespace=index.topology.names.server_ns) == 0
        assert index.cached_files() == []


def test_the_check_resolves_while_devpi_starts_and_fetches_ahead(upstream, unique,
                                                                tmp_path) -> None:
    app, base = unique("app"), unique("base")
    upstream.publish(Dist(app, "1.0", requires=[base]), Dist(base, "1.0"))
    lines: list[str] = []
    settings = Settings.resolve(cli={"packages": [app], **upstream.settings})
    with AirgapScenario(settings, workdir=tmp_path / "run", progress=lines.append) as check:
        check.run_all()
        assert [s.status for s in check.report.steps.values()] == ["passed"] * 4
    label = f"py3.{sys.version_info[1]}"
    assert f"warm [{label}]: devpi fetched 2 of 2 resolved file(s) in parallel" in lines
