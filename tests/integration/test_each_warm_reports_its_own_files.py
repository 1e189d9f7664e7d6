"""A warm's result (and so the report's files and the installed == warmed check) is what
that warm fetched, not what an earlier warm of the same target left beside it."""

from __future__ import annotations

from pytest_offline_index import OfflineIndex, Settings
from tests.support.dists import Dist


def test_a_second_warm_lists_only_its_own_files(upstream, unique, tmp_path) -> None:
    first, second = Dist(unique("first"), "1.0"), Dist(unique("second"), "1.0")
    upstream.publish(first, second)
    settings = Settings.resolve(cli={**upstream.settings})
    with OfflineIndex(settings, workdir=tmp_path / "run", progress=lambda line: None) as index:
        (one,) = index.warm([first.name]).values()
        (two,) = index.warm([second.name]).values()
        assert [f.name for f in one.files] == [first.filename]
        assert [f.name for f in two.files] == [second.filename]
