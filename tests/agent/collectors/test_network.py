"""Network helpers: default gateway from /proc/net/route, MAC normalisation."""

from agent.collectors import network
from tests.agent.helpers import fixture_text


def test_default_gateway_from_captured_route_table():
    gw = network.parse_proc_route(fixture_text("linux", "proc_route", "vm.txt"))
    assert gw == "192.0.2.1"  # 010200C0, little-endian


def test_default_gateway_decoding():
    text = ("Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n"
            "eth0\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\n")
    assert network.parse_proc_route(text) == "192.168.2.1"


def test_normalise_mac():
    assert network.normalise_mac("8C-16-45-12-34-56") == "8c:16:45:12:34:56"
    assert network.normalise_mac("00:00:00:00:00:00") is None
    assert network.normalise_mac("") is None
