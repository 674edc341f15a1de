"""Network interfaces with MAC and IP addresses through psutil (all platforms)."""

import socket

import psutil

from agent.schema import Interface, Network

CATEGORY = "network"

_VIRTUAL_PREFIXES = (
    "lo", "docker", "veth", "br-", "virbr", "vmnet", "tun", "tap", "wg", "Loopback",
)


def is_enabled(ctx) -> bool:
    """Always enabled."""
    return True


def _prefix(netmask):
    if not netmask:
        return None
    import ipaddress  # imported on use: most runs need it, but not every start-up path
    try:
        return ipaddress.ip_network(f"0.0.0.0/{netmask}").prefixlen
    except ValueError:
        try:
            return ipaddress.ip_network(f"::/{netmask}").prefixlen
        except ValueError:
            return None


def normalise_mac(mac):
    """Return a MAC address lower case and colon-separated, or None for empty/zero ones."""
    if not mac:
        return None
    mac = mac.replace("-", ":").lower()
    if mac.strip(":0") == "":
        return None
    return mac


def collect(ctx) -> Network:
    """Return interfaces, their addresses, link state and speed."""
    addrs = psutil.net_if_addrs()
    stats = psutil.net_if_stats()
    link_family = getattr(psutil, "AF_LINK", None)
    interfaces = []
    for name in sorted(addrs):
        mac = None
        v4, v6 = [], []
        for a in addrs[name]:
            if a.family == link_family:
                mac = normalise_mac(a.address)
            elif a.family == socket.AF_INET:
                p = _prefix(a.netmask)
                v4.append(f"{a.address}/{p}" if p is not None else a.address)
            elif a.family == socket.AF_INET6:
                addr = a.address.split("%")[0]
                p = _prefix(a.netmask)
                v6.append(f"{addr}/{p}" if p is not None else addr)
        st = stats.get(name)
        interfaces.append(
            Interface(
                name=name,
                mac=mac,
                ipv4=v4,
                ipv6=v6,
                up=st.isup if st else None,
                speed_mbps=(st.speed or None) if st else None,
                mtu=st.mtu if st else None,
                virtual=name.startswith(_VIRTUAL_PREFIXES) or mac is None,
            )
        )
    return Network(interfaces=interfaces, default_gateway=_default_gateway(ctx))


def parse_proc_route(text):
    """Return the default IPv4 gateway from /proc/net/route, or None."""
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) > 2 and fields[1] == "00000000" and fields[2] != "00000000":
            raw = bytes.fromhex(fields[2])
            return socket.inet_ntoa(raw[::-1])
    return None


def _default_gateway(ctx):
    text = ctx.read_text("/proc/net/route")
    return parse_proc_route(text) if text else None
