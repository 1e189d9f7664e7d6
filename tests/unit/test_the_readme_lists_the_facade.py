"""The README's "library in one look" lists every public name of ``OfflineIndex``, and
nothing it does not have: the facade stays what the README documents."""

from __future__ import annotations

import re
from pathlib import Path

from pytest_offline_index import OfflineIndex, Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def listed_names() -> set[str]:
    text = README.read_text()
    table = text[text.index("## The library in one look"):]
    table = table[:table.index("\n## ", 1)]
    names: set[str] = set()
    for row in re.findall(r"^\| (.*?) \|", table, flags=re.M)[1:]:  # after the header
        names.update(re.findall(r"`([a-z_]+)", row))
    return names


def public_names(tmp_path: Path) -> set[str]:
    index = OfflineIndex(Settings(), workdir=tmp_path)  # not started: nothing runs
    return {n for n in {*dir(OfflineIndex), *vars(index)} if not n.startswith("_")}


def test_the_readme_lists_every_public_name_of_the_facade(tmp_path: Path) -> None:
    assert listed_names() - {"with"} == public_names(tmp_path)


def test_the_facade_stays_small() -> None:
    index_py = Path(__file__).resolve().parents[2] / "pytest_offline_index" / "index" / "offline.py"
    # "around 200": the warmer, the cut proof, the venv factory, the stack are their own
    assert len(index_py.read_text().splitlines()) <= 260
