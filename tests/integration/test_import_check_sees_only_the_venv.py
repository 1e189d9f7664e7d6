"""The import check asks the venv's interpreter alone: a same-named directory in the
harness's working dir does not shadow the installed module (nor fail the check as "imported
from outside the venv"), a standard-library module named by hand is the interpreter's own,
and one the distribution ships under a standard-library name fails (it never imports)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_offline_index import FreshVenv, ImportCheckError, OfflineIndex, Settings
from tests.support.dists import Dist
from tests.support.upstream import LocalUpstream


@contextlib.contextmanager
def installed_offline(upstream: LocalUpstream, dist: Dist, tmp_path: Path
                      ) -> Iterator[FreshVenv]:
    """A fresh venv with ``dist`` installed from a warmed, cut index."""
    settings = Settings.resolve(cli={**upstream.settings})
    with OfflineIndex(settings, workdir=tmp_path / "run", progress=lambda line: None) as index:
        index.warm([dist.name])
        index.cut()
        venv = index.fresh_venv()
        venv.install(dist.name)
        yield venv


def test_the_working_dir_does_not_shadow_the_venv(upstream, unique, tmp_path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    dist = Dist(unique("shadowed"), "1.0")
    upstream.publish(dist)
    checkout = tmp_path / "checkout"  # a project checkout with a same-named source dir
    (checkout / dist.module).mkdir(parents=True)
    (checkout / dist.module / "__init__.py").write_text("raise ImportError('the checkout')\n")
    monkeypatch.chdir(checkout)
    with installed_offline(upstream, dist, tmp_path) as venv:
        results = venv.check_imports(dist.module, "json")
        assert [(r.module, r.ok) for r in results] == [(dist.module, True), ("json", True)]


def test_a_module_the_standard_library_shadows_fails_naming_it(upstream, unique,
                                                               tmp_path) -> None:
    # its only module is calendar.py, which raises: the stdlib's calendar imports instead
    dist = Dist(unique("calendar-shipper"), "1.0",
                payload=(("calendar.py", "raise ImportError('the shipped one')\n"),),
                top_level=("calendar",))
    upstream.publish(dist)
    with installed_offline(upstream, dist, tmp_path) as venv:
        with pytest.raises(ImportCheckError) as caught:
            venv.check_imports(distributions=[dist.name])
        message = str(caught.value)
        assert message.startswith("import calendar failed: calendar is the standard "
                                  "library's ("), message
        assert message.endswith(f"calendar.py), not the one {dist.name} ships: the standard "
                                f"library shadows it"), message
        # named by hand, a standard-library module is the interpreter's own, and says so
        (json,) = venv.check_imports("json")
        assert json.ok and json.detail == "json (the standard library's)"


def test_a_distribution_s_name_given_as_its_module_names_the_modules_it_provides(
        upstream, unique, tmp_path) -> None:
    # as PyYAML ships yaml: the distribution's name is not its module's
    dist = Dist(unique("dist-name"), "1.0", payload=(("shipped_mod/__init__.py", ""),),
                top_level=("shipped_mod",))
    upstream.publish(dist)
    with installed_offline(upstream, dist, tmp_path) as venv, \
            pytest.raises(ImportCheckError) as caught:
        venv.check_imports(dist.module, distributions=[dist.name])
    assert str(caught.value) == (
        f"import {dist.module} failed: ModuleNotFoundError: No module named "
        f"'{dist.module}'; the requested distributions provide shipped_mod")
