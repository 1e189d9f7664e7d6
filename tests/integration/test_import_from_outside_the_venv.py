"""A module that imports, but from outside the fresh venv, fails the import check in one line.

The distribution installs cleanly from the cache, yet all it puts in the venv is a ``.pth``
file pointing at a directory elsewhere on the machine, where the module really lives: it
imports, and the check must still refuse it — the venv alone would not have it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import zipfile
from pathlib import Path

from tests.support.dists import module_name


def pth_only_wheel(directory: Path, name: str, elsewhere: Path) -> Path:
    """A real wheel of ``name`` 1.0 holding only a ``.pth`` line naming ``elsewhere``."""
    module = module_name(name)
    info = f"{module}-1.0.dist-info"
    files = {
        f"{module}.pth": f"{elsewhere}\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n",
        f"{info}/WHEEL": ("Wheel-Version: 1.0\nGenerator: offline-index-tests\n"
                          "Root-Is-Purelib: true\nTag: py3-none-any\n"),
        f"{info}/top_level.txt": f"{module}\n",
    }
    path = directory / f"{module}-1.0-py3-none-any.whl"
    record = []
    with zipfile.ZipFile(path, "w") as wheel:
        for arcname, text in files.items():
            data = text.encode()
            wheel.writestr(arcname, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            record.append(f"{arcname},sha256={digest.decode()},{len(data)}")
        record.append(f"{info}/RECORD,,")
        wheel.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return path


def test_a_module_imported_from_outside_the_venv_fails_the_check(
        pytester, upstream, unique, tmp_path) -> None:
    name = unique("leaky")
    module = module_name(name)
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / module).mkdir(parents=True)
    outside = elsewhere / module / "__init__.py"
    outside.write_text('__version__ = "1.0"\n')
    upstream.publish_file(pth_only_wheel(tmp_path, name, elsewhere))

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
