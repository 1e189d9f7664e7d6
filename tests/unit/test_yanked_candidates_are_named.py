"""A project whose only candidates are yanked (PEP 592) is named as such, from pip's output
in its new shape (pip 26.3: "Ignored the following yanked versions") and its old one
(ensurepip's pip 23.2.1: the yanked versions listed "from versions", none taken), and from
uv's ("<name>==<version> was yanked"); an existing index's hole says "the index"."""

from __future__ import annotations

import pytest

from pytest_offline_index.proof.holes import Hole, holes_in, yanked_in
from tests.unit.installer_captures import uv_captured
from tests.unit.pip_captures import CURRENT, captured

OLD_PIP = "23.2.1"  # ensurepip's on Python 3.11: it never says "yanked"


@pytest.mark.parametrize("pip_version", [CURRENT, OLD_PIP])
def test_yanked_only_candidates_are_named_from_pip(pip_version: str) -> None:
    output = captured(pip_version, "install-yanked")
    assert yanked_in(output) == {"yanky": ("1.0",)}
    (hole,) = holes_in(output, "the index")
    assert hole == Hole("yanky", yanked=("1.0",))
    assert str(hole) == ("yanky (only yanked releases in the index: 1.0; an installer takes a "
                         "yanked release only when pinned with ==)")


def test_yanked_only_candidates_are_named_from_uv() -> None:
    (hole,) = holes_in(uv_captured("0.13.9", "install-yanked"), "the index")
    assert hole == Hole("yanky", yanked=("1.0",))


@pytest.mark.parametrize("pip_version", [CURRENT, "24.3.1"])
def test_versions_the_requirement_excludes_are_no_yank(pip_version: str) -> None:
    output = captured(pip_version, "download-six-99")  # six==99: 1.0 ... 1.17.0 listed
    assert yanked_in(output) == {}
    assert holes_in(output) == [Hole("six")]


def test_a_hole_says_what_lacks_it() -> None:
    assert str(Hole("app")) == "app (no release of it is in the cache)"
    assert str(Hole("app", where="the index")) == "app (no release of it is in the index)"
