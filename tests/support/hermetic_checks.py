"""What the tests ask of a hermetic environment (test-only: the product builds, never audits)."""

from __future__ import annotations

from collections.abc import Mapping

from pytest_offline_index.execute.hermetic import SCRUBBED_PREFIXES


def leaked_variables(env: Mapping[str, str]) -> list[str]:
    """Variables in ``env`` that could point pip anywhere but the index (for assertions)."""
    allowed = {"PIP_CONFIG_FILE", "PIP_DISABLE_PIP_VERSION_CHECK", "PIP_NO_INPUT",
               "VIRTUALENV_CONFIG_FILE", "PYTHONNOUSERSITE", "PIP_ROOT_USER_ACTION"}
    return sorted(k for k in env if k.startswith(SCRUBBED_PREFIXES) and k not in allowed)
