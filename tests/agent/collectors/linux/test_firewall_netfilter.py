"""Firewall state from captured ufw, nft and iptables-save output."""

from agent.collectors.linux import firewall_netfilter as fw
from tests.agent.helpers import fixture_text


def test_ufw_active_deny():
    f = fw.parse_ufw_status(fixture_text("linux", "ufw", "active-deny.txt"))
    assert f.enabled is True and f.backend == "ufw" and f.default_inbound == "drop"


def test_ufw_inactive():
    f = fw.parse_ufw_status(fixture_text("linux", "ufw", "inactive.txt"))
    assert f.enabled is False and f.default_inbound == "allow"


def test_nft_input_drop():
    f = fw.parse_nft_ruleset(fixture_text("linux", "nft", "input-drop.txt"))
    assert f.enabled is True and f.backend == "nftables"


def test_nft_empty_ruleset_is_no_answer():
    assert fw.parse_nft_ruleset(fixture_text("linux", "nft", "empty.txt")) is None


def test_iptables_input_drop_and_accept():
    f = fw.parse_iptables_save(fixture_text("linux", "iptables", "input-drop.txt"))
    assert f.enabled is True and f.backend == "iptables"
    open_text = fixture_text("linux", "iptables", "input-drop.txt").replace(":INPUT DROP",
                                                                            ":INPUT ACCEPT")
    assert fw.parse_iptables_save(open_text).enabled is False


def test_firewalld_public_zone():
    zone = "public (active)\n  target: default\n  interfaces: eth0\n  services: ssh\n"
    f = fw.parse_firewalld("running\n", zone)
    assert f.enabled is True and f.default_inbound == "block"
    assert f.profiles[0].name == "public"
    assert fw.parse_firewalld("not running\n", "").enabled is False
