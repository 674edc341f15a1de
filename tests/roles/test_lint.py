"""ansible-lint (production profile) and yamllint are clean on the roles and playbooks."""

import subprocess

import pytest

from tests.testhosts.ansible import BIN, REPO, ansible_env

pytestmark = pytest.mark.slow

ANSIBLE_PATHS = ["roles", "playbooks", "tests/roles/files"]


def test_yamllint_is_clean():
    proc = subprocess.run(
        [str(BIN / "yamllint"), "--strict", "-c", str(REPO / ".yamllint"), *ANSIBLE_PATHS,
         ".yamllint", ".ansible-lint"],
        capture_output=True, text=True, cwd=REPO, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ansible_lint_production_profile_is_clean():
    proc = subprocess.run(
        [str(BIN / "ansible-lint"), "--profile", "production", "--nocolor", "roles", "playbooks"],
        capture_output=True, text=True, cwd=REPO, timeout=300, check=False, env=ansible_env(),
    )
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-5000:]
    assert "Profile 'production' was required, and it passed" in proc.stderr + proc.stdout
