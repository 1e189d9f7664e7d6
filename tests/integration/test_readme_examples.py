"""Every example of the README and the docs marked ``<!-- example: FILE -->`` runs, as
written, and passes.

The examples name real-looking packages (``requests``); here the local upstream publishes
tiny real distributions under those names, so the examples run offline and unchanged.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.dists import Dist

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
EXAMPLE = re.compile(r"<!-- example: (\S+) -->\n```python\n(.*?)```", re.S)


def readme_examples() -> dict[str, str]:
    return {name: code for page in PAGES for name, code in EXAMPLE.findall(page.read_text())}


def test_readme_test_examples_run_and_pass(pytester, upstream) -> None:
    examples = readme_examples()
    assert set(examples) == {"test_readme_fixtures.py", "test_readme_marker.py"}
    if not any(d.name == "requests" for d in upstream.published):
        upstream.publish(Dist("requests", "2.32.3"))
    for name, code in examples.items():
        pytester.path.joinpath(name).write_text(code)
    pytester.path.joinpath("requirements.txt").write_text("requests==2.32.3\n")
    pytester.makeini(f"[pytest]\n{upstream.ini}")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
