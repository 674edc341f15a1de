"""Argument specs reject bad variables before a role touches the host.

The role runs against localhost with a local connection: validation is its first task, so a
rejected variable stops the run before anything else happens.
"""

import sys

import pytest

from tests.testhosts.ansible import run_playbook

pytestmark = pytest.mark.slow

CASES = [
    ("office_suite", "office_suite_macro_security_level=high",
     "office_suite_macro_security_level"),
    ("office_suite", '{"office_suite_macro_security_level": 7}',
     "office_suite_macro_security_level"),
    ("mail_relay", "mail_relay_tls_security_level=may", "mail_relay_tls_security_level"),
    ("antivirus", '{"antivirus_private_mirrors": {"url": "x"}}', "antivirus_private_mirrors"),
    ("kiemke_agent", "kiemke_agent_interval_seconds=hourly", "kiemke_agent_interval_seconds"),
    ("mail_client", "mail_client_imap_port=imaps", "mail_client_imap_port"),
    ("antivirus_mirror", "antivirus_mirror_port=eighty", "antivirus_mirror_port"),
]


@pytest.fixture(scope="module")
def local_inventory(tmp_path_factory):
    path = tmp_path_factory.mktemp("inv") / "hosts.ini"
    path.write_text(
        f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n"
    )
    return path


@pytest.mark.parametrize(("role", "bad", "name"), CASES, ids=[c[2] for c in CASES])
def test_wrong_variable_is_rejected_with_its_name(role, bad, name, local_inventory):
    run = run_playbook("tests/roles/files/validate_role.yml", local_inventory,
                       "-e", f"role_under_test={role}", "-e", bad, timeout=120)
    assert run.returncode != 0
    out = run.stdout + run.stderr
    assert "Validating arguments against arg spec 'main'" in out
    assert "Validation of arguments failed" in out
    assert f"argument '{name}'" in out or f"value of {name}" in out, run.explain()
