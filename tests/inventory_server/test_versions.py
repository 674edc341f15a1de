"""Version comparison used by software search."""

import pytest

from inventory_server.versions import compare, matches


@pytest.mark.parametrize(
    ("a", "b", "sign"),
    [
        ("7.4.7.2", "7.5", -1),
        ("7.5.0", "7.5", 1),
        ("1.0~rc1", "1.0", -1),
        ("1:1.0", "2.0", 1),
        ("2.36-9+deb12u4", "2.36-9+deb12u10", -1),
        ("1.0a", "1.0", 1),
        ("10", "9", 1),
        ("1.02", "1.2", 0),
    ],
)
def test_compare_follows_dpkg(a, b, sign):
    c = compare(a, b)
    assert (c > 0) - (c < 0) == sign


def test_matches_ignores_parts_the_query_omits():
    assert matches("4:7.4.7-1", "lt", "7.5")  # Debian's LibreOffice 7.4 with epoch 4
    assert not matches("4:7.5.1-1", "lt", "7.5")
    assert matches("4:7.5.1-1", "eq", "7.5")
    assert matches("7.4.7.2", "lt", "7.5")  # Windows-style
    assert matches("24.2.0.3", "ge", "7.5")
    assert not matches(None, "lt", "7.5")
    assert matches("2.36-9+deb12u4", "lt", "2.36-9+deb12u10")
