"""``fresh_venv.for_python(...)``: a fresh venv of that other Python on the air-gapped client.

The only release is a wheel for that Python alone, so the install works only in a venv of
it — a venv of the running interpreter would find nothing to install.
"""

from __future__ import annotations

import sys
import sysconfig
from typing import Any

import pytest

from tests.support.dists import Dist
from tests.support.upstream import LocalUpstream

PLATFORM = sysconfig.get_platform().replace("-", "_").replace(".", "_")
# Another Python than the running one (pyenv has both on the project's machines).
OTHER = "3.13" if sys.version_info[:2] != (3, 13) else "3.12"

SUITE = '''
def test_for_python_installs_and_imports(offline_index, fresh_venv):
    offline_index.restore()
    offline_index.warm(["{name}"], pythons=["{other}"])
    offline_index.cut()
    venv = fresh_venv.for_python("{other}")
    assert venv.path != fresh_venv.path
    version = venv.run("import sys; print('%d.%d' % sys.version_info[:2])")
    assert version.output.strip() == "{other}"
    venv.install("{name}")
    venv.check_imports("{module}")
    where = venv.run("import {module}; print({module}.__file__)")
    assert where.output.strip().startswith(str(venv.path)), where.output
'''


def test_for_python_makes_a_venv_of_that_python_that_installs_offline(
        pytester: pytest.Pytester, upstream: LocalUpstream, unique: Any) -> None:
    name = unique("only-other")
    tag = "cp" + OTHER.replace(".", "")
    wheel = Dist(name, "1.0", tag=f"{tag}-{tag}-{PLATFORM}")
    upstream.publish(wheel)
    pytester.makeini(f"[pytest]\n{upstream.ini}")
    pytester.makepyfile(SUITE.format(name=name, other=OTHER, module=wheel.module))

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
