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


def test_remediate_fixes_every_check_with_its_role_and_tags():
    plays = yaml.safe_load((REPO / "playbooks/remediate.yml").read_text())
    for check, (role, tags) in REMEDIATIONS.items():
        matching = [p for p in plays if f"policy_fail_{check}" in p["hosts"]]
        assert len(matching) == 1, f"{check}: {len(matching)} plays"
        (entry,) = matching[0]["roles"]
        assert entry["role"] == role, check
        assert set(tags) <= set(entry["tags"]), check
    roles = [p["roles"][0]["role"] for p in plays]
    assert len(roles) == len(set(roles)), "one play per role, so a host gets each role once"
    for play in plays:
        (entry,) = play["roles"]
        fixed = {c for c, (r, _) in REMEDIATIONS.items() if r == entry["role"]}
        assert set(play["hosts"]) == {f"policy_fail_{c}" for c in fixed}


def test_remediate_reaches_only_hosts_in_failing_groups(tmp_path):
    inventory = tmp_path / "hosts.ini"
    inventory.write_text(
        "[policy_fail_av_healthy]\npc-01\n\n"
        "[policy_fail_ct14_av_installed]\npc-01\npc-02\n\n"
        "[policy_fail_odf_default]\npc-02\n\n"
        "[role_workstation]\npc-01\npc-02\npc-03\n"
    )
    run = run_playbook("playbooks/remediate.yml", inventory, "--list-hosts", timeout=120)
    assert run.returncode == 0, run.explain()
    plays = yaml.safe_load((REPO / "playbooks/remediate.yml").read_text())
    listed = run.stdout.split("play #")[1:]
    assert len(listed) == len(plays)
    hosts = {}
    for play, text in zip(plays, listed, strict=True):
        lines = text.split("hosts (", 1)[1].splitlines()[1:]
        hosts[play["roles"][0]["role"]] = [line.strip() for line in lines if line.strip()]
    assert sorted(hosts["antivirus"]) == ["pc-01", "pc-02"]  # once each, though in two groups
    assert hosts["office_suite"] == ["pc-02"]
    assert hosts["mail_client"] == []
    assert hosts["mail_relay"] == []


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

