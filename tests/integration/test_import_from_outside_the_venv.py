"""A module that imports, but from outside the fresh venv, fails the import check in one line.

The distribution installs cleanly from the cache, yet all it puts in the venv is a ``.pth``
file pointing at a directory elsewhere on the machine, where the module really lives: it
imports, and the check must still refuse it — the venv alone would not have it.
"""

from __future__ import annotations

import json
import re

from tests.support.dists import Dist, module_name


def test_a_module_imported_from_outside_the_venv_fails_the_check(
        pytester, upstream, unique, tmp_path) -> None:
    name = unique("leaky")
    module = module_name(name)
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / module).mkdir(parents=True)
    outside = elsewhere / module / "__init__.py"
    outside.write_text('__version__ = "1.0"\n')
    # a real wheel whose only payload is a .pth line naming the dir elsewhere
    upstream.publish(Dist(name, "1.0", payload=((f"{module}.pth", f"{elsewhere}\n"),)))

    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--offline-index", *upstream.args,
        "--offline-index-package", name, "--offline-index-report", "report.json")
    result.assert_outcomes(passed=3, failed=1)  # warm, cut, install pass; the import fails
    expected = (f"offline-index [[]py3.*[]] import: py3.*: import {module} failed: imported "
                f"from outside the venv: {outside}")
    result.stdout.fnmatch_lines([expected])
    # one line: the failure section holds it and nothing else (no traceback)
    section = result.stdout.str().split("_ offline-index[py3.", 1)[1]
    section = section.split("\n", 1)[1].split("\n=", 1)[0]
    assert re.fullmatch(r"offline-index \[py3\.\d+\] import: [^\n]+", section.strip()), section

    (check,) = json.loads((pytester.path / "report.json").read_text())["checks"]
    ((_, results),) = check["imports"].items()
    assert [(r["module"], r["ok"], r["detail"]) for r in results] == [
        (module, False, f"imported from outside the venv: {outside}")]
    statuses = {s["name"]: s["status"] for s in check["steps"]}
    assert statuses == {"warm": "passed", "cut": "passed", "install": "passed",
                        "import": "failed"}
