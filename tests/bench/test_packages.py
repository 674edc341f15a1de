"""Simulated hosts' package lists come from real captured lists and stay in the asked range."""

import random

from bench.lib.packages import host_packages, older, pool, profiles


def test_captured_lists_are_real_debian_packages():
    p = pool()
    assert len(p) == 9000
    assert {"libreoffice-core", "firefox-esr", "thunderbird"} <= set(p)
    for name, pkgs in profiles().items():
        assert len(pkgs) > 400, name
        assert all(pk.version for pk in pkgs)


def test_host_lists_stay_in_range_and_use_real_names():
    rng = random.Random(3)
    names = set(pool()) | {pk.name for pk in profiles().get("this-machine", ())}
    sizes = []
    for _ in range(30):
        pkgs = host_packages(rng)
        sizes.append(len(pkgs))
        assert 800 <= len(pkgs) <= 3000
        assert len({pk.name for pk in pkgs}) == len(pkgs)
        assert {pk.name for pk in pkgs} <= names
    assert max(sizes) - min(sizes) > 300  # hosts differ


def test_older_versions_sort_before_the_original():
    from inventory_server import versions

    rng = random.Random(1)
    for v in ("4:7.4.7-1+deb12u6", "2.36-9+deb12u9", "1.2.3-5", "2.36", "20230311"):
        o = older(v, rng)
        assert o != v
        assert versions.matches(o, "lt", v), (o, v)
