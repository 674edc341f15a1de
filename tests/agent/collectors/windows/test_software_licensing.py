"""Licence state: product, channel, status, last five key characters only."""

import msgspec
import pytest

from agent.collectors.windows import software_licensing as lic
from agent.schema import ProductLicense, encode
from tests.agent.helpers import fixture_text


def test_windows_and_office():
    win, office = lic.parse_licensing(fixture_text("windows", "licensing",
                                                   "win11-pro-office.json"))
    assert (win.kind, win.status, win.channel, win.partial_key) == (
        "windows", "licensed", "OEM:DM", "3V66T")
    assert (office.kind, office.status, office.channel, office.partial_key) == (
        "office", "notification", "VOLUME_MAK", "6MWKP")


def test_single_object_output():
    (srv,) = lic.parse_licensing(fixture_text("windows", "licensing", "single-unlicensed.json"))
    assert srv.status == "unlicensed" and srv.channel == "Volume:GVLK"


def test_never_more_than_five_key_characters():
    text = '{"Name": "X", "LicenseStatus": 1, "PartialProductKey": "ABCDE-FGHIJ-KLMNO-PQRST-3V66T"}'
    (p,) = lic.parse_licensing(text)
    assert p.partial_key == "3V66T"
    with pytest.raises(msgspec.ValidationError, match="partial_key"):
        msgspec.json.decode(b'{"product": "X", "partial_key": "ABCDEFGH"}', type=ProductLicense)
    assert b"ABCDE-FGHIJ" not in encode(p)


def test_real_windows_pro_oem_sample():
    """Real SoftwareLicensingProduct row (kolide/launcher issue 505): Windows Pro, OEM:DM."""
    (win,) = lic.parse_licensing(fixture_text("windows", "licensing",
                                              "kolide505-win-pro-oem.json"))
    assert win.product == "Windows(R), Professional edition"
    assert (win.status, win.channel, win.partial_key) == ("licensed", "OEM:DM", "F6YP2")
    # The published selection had no ApplicationID, so the product family stays unclassified.
    assert win.kind == "other"
