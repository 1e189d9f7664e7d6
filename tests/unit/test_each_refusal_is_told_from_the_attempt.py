"""Why the namespaces could not be made, told from what the real attempt reported (its stage
and errno, as the holder writes them) and the host files that say which switch it was.

The refusals this machine can make for real (ENOSPC, seccomp) are run end to end in
``tests/integration/test_refused_user_namespaces_are_named.py``; the hosts it cannot become
(Debian's switch, Ubuntu's AppArmor, a kernel without user namespaces) are given here as the
holder's status and the switch files such a host has.
"""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from pytest_offline_index.errors import PrivilegeError, TopologyError
from pytest_offline_index.netns import sandbox


@pytest.fixture
def host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A host with neither switch file: each test writes the one its host has."""
    monkeypatch.setattr(sandbox, "DEBIAN_SWITCH", str(tmp_path / "unprivileged_userns_clone"))
    monkeypatch.setattr(sandbox, "APPARMOR_RESTRICTION",
                        str(tmp_path / "apparmor_restrict_unprivileged_userns"))
    return tmp_path


def told(stage: str, code: int, **more: object) -> Exception:
    return sandbox.classify({"stage": stage, "errno": code, "error": os_error(code), **more})


def os_error(code: int) -> str:
    return f"[Errno {code}] {errno.errorcode[code]}"


def test_no_room_for_user_namespaces_names_the_sysctl(host) -> None:
    error = told("unshare", errno.ENOSPC)
    assert isinstance(error, PrivilegeError)
    assert "user.max_user_namespaces" in str(error) and "sudo sysctl -w" in str(error)


def test_a_seccomp_refusal_names_the_container_fix(host) -> None:
    error = told("unshare", errno.EPERM, seccomp=2)
    assert "seccomp" in str(error) and "--security-opt seccomp=unconfined" in str(error)


def test_debians_switch_off_is_named(host) -> None:
    (host / "unprivileged_userns_clone").write_text("0\n")
    assert "kernel.unprivileged_userns_clone=1" in str(told("unshare", errno.EPERM))


def test_debians_switch_on_is_not_blamed(host) -> None:
    (host / "unprivileged_userns_clone").write_text("1\n")
    message = str(told("unshare", errno.EPERM))
    assert "unprivileged_userns_clone" not in message
    assert message.startswith("user namespaces are refused here (EPERM at unshare)")


@pytest.mark.parametrize("stage", ["uid_map", "init"])
def test_ubuntus_apparmor_restriction_is_named_where_it_bites(host, stage) -> None:
    # unshare succeeds under the restriction; writing the maps (or netlink) then fails
    (host / "apparmor_restrict_unprivileged_userns").write_text("1\n")
    assert "kernel.apparmor_restrict_unprivileged_userns=0" in str(told(stage, errno.EPERM))


def test_without_apparmor_a_map_refusal_is_a_network_failure(host) -> None:
    error = told("uid_map", errno.EPERM)
    assert isinstance(error, TopologyError) and "apparmor" not in str(error)


def test_a_kernel_without_user_namespaces_is_named(host) -> None:
    assert "this kernel has no user namespaces" in str(told("unshare", errno.EINVAL))


def test_each_line_is_one_line(host) -> None:
    (host / "apparmor_restrict_unprivileged_userns").write_text("1\n")
    for stage, code in [("unshare", errno.ENOSPC), ("unshare", errno.EINVAL),
                        ("uid_map", errno.EPERM), ("unshare", errno.EPERM)]:
        assert "\n" not in str(told(stage, code))
