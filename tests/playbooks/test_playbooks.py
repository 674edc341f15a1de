"""Playbooks: valid, only choose hosts and list roles, and remediate.yml targets failing hosts."""

import pytest
import yaml

from tests.testhosts.ansible import REPO, run_playbook
from tests.testhosts.packs import role_remediations

PLAYBOOKS = sorted((REPO / "playbooks").glob("*.yml"))
ALLOWED_PLAY_KEYS = {"name", "hosts", "become", "roles", "gather_facts", "vars", "tags",
                     "serial", "import_playbook"}
REMEDIATIONS = role_remediations()


def test_the_expected_playbooks_exist():
    assert {p.name for p in PLAYBOOKS} >= {"site.yml", "workstation.yml", "server.yml",
                                           "remediate.yml"}


@pytest.mark.parametrize("playbook", PLAYBOOKS, ids=lambda p: p.name)
def test_playbooks_only_choose_hosts_and_list_roles(playbook):
    for play in yaml.safe_load(playbook.read_text()):
        assert set(play) <= ALLOWED_PLAY_KEYS, f"{playbook.name}: {set(play) - ALLOWED_PLAY_KEYS}"
        assert play.get("roles"), f"{playbook.name}: play {play.get('name')!r} lists no roles"


@pytest.mark.parametrize("playbook", PLAYBOOKS, ids=lambda p: p.name)
def test_playbooks_pass_ansible_syntax_check(playbook, tmp_path):
    inventory = tmp_path / "hosts.ini"
    inventory.write_text("localhost ansible_connection=local\n")
    run = run_playbook(playbook.relative_to(REPO), inventory, "--syntax-check", timeout=120)
    assert run.returncode == 0, run.explain()


def test_remediate_has_one_play_per_check_applying_the_fixing_role_with_its_tag():
    plays = yaml.safe_load((REPO / "playbooks/remediate.yml").read_text())
    by_group = {play["hosts"]: play for play in plays}
    assert set(by_group) == {f"policy_fail_{check}" for check in REMEDIATIONS}
    for check, (role, tags) in REMEDIATIONS.items():
        (entry,) = by_group[f"policy_fail_{check}"]["roles"]
        assert entry["role"] == role, check
        assert entry["tags"] == tags, check


def test_remediate_reaches_only_hosts_in_failing_groups(tmp_path):
    inventory = tmp_path / "hosts.ini"
    inventory.write_text(
        "[policy_fail_av_healthy]\npc-01\npc-02\n\n"
        "[policy_fail_odf_default]\npc-02\n\n"
        "[role_workstation]\npc-01\npc-02\npc-03\n"
    )
    run = run_playbook("playbooks/remediate.yml", inventory, "--list-hosts", timeout=120)
    assert run.returncode == 0, run.explain()
    plays = run.stdout.split("play #")[1:]
    hosts = {}
    for play in plays:
        group = play.split("(", 1)[1].split(")", 1)[0]
        hosts[group] = {line.strip() for line in play.split("hosts (", 1)[1].splitlines()[1:]
                        if line.strip()}
    assert hosts["policy_fail_av_healthy"] == {"pc-01", "pc-02"}
    assert hosts["policy_fail_odf_default"] == {"pc-02"}
    assert hosts["policy_fail_mail_configured"] == set()
    assert "pc-03" not in set().union(*hosts.values())


def test_remediate_tags_select_only_the_plays_for_that_check(tmp_path):
    inventory = tmp_path / "hosts.ini"
    inventory.write_text("[policy_fail_mail_relay_tls]\nsrv-01\n")
    run = run_playbook("playbooks/remediate.yml", inventory, "--list-tasks",
                       "--tags", "mail_relay_tls", timeout=120)
    assert run.returncode == 0, run.explain()
    # Argument validation is tagged "always" by Ansible; every other listed task is the check's.
    tasks = [line.strip() for line in run.stdout.splitlines()
             if " : " in line and "Validating arguments" not in line]
    assert "mail_relay : Ensure Postfix is installed" in "\n".join(tasks)
    assert tasks and all(t.startswith("mail_relay : ") for t in tasks), tasks


def test_workstation_and_server_playbooks_list_the_roles_of_their_kind():
    def roles(name):
        return [r["role"] for play in yaml.safe_load((REPO / "playbooks" / name).read_text())
                for r in play["roles"]]

    assert roles("workstation.yml") == ["kiemke_agent", "antivirus", "mail_client",
                                        "office_suite"]
    assert roles("server.yml")[:3] == ["kiemke_agent", "antivirus", "mail_relay"]
    assert set(roles("site.yml")) == {p.name for p in (REPO / "roles").iterdir()}

