"""Fixtures for the role tests: one test host provisioned once with site.yml, run twice."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.roles.samples import TEST_SIGNATURES
from tests.testhosts.ansible import PlaybookRun, run_playbook
from tests.testhosts.fixtures import testhost, wheelhouse  # noqa: F401 - fixtures
from tests.testhosts.host import TestHost

FILES = Path(__file__).parent / "files"

# ClamAV's init script starts clamd only when main and daily databases exist; empty
# main.inc/daily.inc directories stand in for them beside the one-signature test database.
CLAMAV_SEED = (
    "mkdir -p /var/lib/clamav/main.inc /var/lib/clamav/daily.inc && "
    "cat > /var/lib/clamav/kiemke-test.hdb"
)


def provisioning_vars(wheelhouse_dir: Path) -> dict:
    """Return the variables the provisioning run uses (the test host's group_vars)."""
    return {
        "kiemke_agent_wheelhouse": str(wheelhouse_dir),
        "kiemke_agent_role": "workstation",
        "kiemke_agent_server_url": "http://127.0.0.1:9",
        "antivirus_private_mirrors": ["http://clamav.tinh.example.gov.vn",
                                      "http://clamav2.tinh.example.gov.vn"],
        "antivirus_initial_update": False,
        "mail_relay_relayhost": "[mail.tinh.example.gov.vn]:587",
        "mail_relay_domain": "tinh.example.gov.vn",
        "mail_relay_sasl_username": "relay@tinh.example.gov.vn",
        "mail_relay_sasl_password": "s3cret-from-vault",
        "mail_relay_root_alias": "it@tinh.example.gov.vn",
        # Thunderbird and its GTK stack are ~300 MB: the test writes policies and autoconfig
        # only. LibreOffice is installed without its GUI, which reads the same admin layer.
        "mail_client_install": False,
        "mail_client_domain": "tinh.example.gov.vn",
        "mail_client_imap_host": "imap.tinh.example.gov.vn",
        "mail_client_smtp_host": "smtp.tinh.example.gov.vn",
        "mail_client_pop3_host": "pop.tinh.example.gov.vn",
        "mail_client_ca_certificates": ["/usr/local/share/ca-certificates/tinh-ca.crt"],
        "office_suite_packages": ["libreoffice-writer-nogui", "libreoffice-calc-nogui",
                                  "python3-uno"],
        "office_suite_font_packages": ["fonts-liberation"],
        "office_suite_input_method_packages": [],
    }


@dataclass
class Provisioned:
    """A test host after site.yml ran on it twice."""

    host: TestHost
    vars: dict
    vars_file: Path
    first: PlaybookRun
    second: PlaybookRun
    first_seconds: float
    second_seconds: float


@pytest.fixture(scope="session")
def provisioned(testhost: TestHost, wheelhouse: Path) -> Provisioned:  # noqa: F811
    """The session's test host provisioned by playbooks/site.yml, then provisioned again."""
    testhost.run(CLAMAV_SEED, input=TEST_SIGNATURES)
    variables = provisioning_vars(wheelhouse)
    vars_file = testhost.workdir / "test-vars.yml"
    vars_file.write_text(yaml.safe_dump(variables))
    t0 = time.monotonic()
    first = run_playbook("playbooks/site.yml", testhost.inventory_path, "-e", f"@{vars_file}")
    t1 = time.monotonic()
    assert first.returncode == 0, first.explain()
    second = run_playbook("playbooks/site.yml", testhost.inventory_path, "-e", f"@{vars_file}")
    t2 = time.monotonic()
    return Provisioned(testhost, variables, vars_file, first, second, t1 - t0, t2 - t1)
