"""The import check asks the venv's interpreter alone: a same-named directory in the
harness's working dir does not shadow the installed module (nor fail the check as "imported
from outside the venv"), and a standard-library module counts as the interpreter's own."""

from __future__ import annotations

import pytest

from pytest_offline_index import OfflineIndex, Settings
from tests.support.dists import Dist


def test_the_working_dir_does_not_shadow_the_venv(upstream, unique, tmp_path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    dist = Dist(unique("shadowed"), "1.0")
    upstream.publish(dist)
    checkout = tmp_path / "checkout"  # a project checkout with a same-named source dir
    (checkout / dist.module).mkdir(parents=True)
    (checkout / dist.module / "__init__.py").write_text("raise ImportError('the checkout')\n")
    monkeypatch.chdir(checkout)
    settings = Settings.resolve(cli={**upstream.settings})
    with OfflineIndex(settings, workdir=tmp_path / "run", progress=lambda line: None) as index:
        index.warm([dist.name])
        index.cut()
        venv = index.fresh_venv()
        venv.install(dist.name)
        results = venv.check_imports(dist.module, "json")
        assert [(r.module, r.ok) for r in results] == [(dist.module, True), ("json", True)]
