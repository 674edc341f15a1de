"""office_suite on a real test host: LibreOffice itself reads the admin layer the role wrote.

The test installs LibreOffice without its GUI (the -nogui packages read the same admin layer)
and starts it headless through python3-uno to read the resolved configuration.
"""

import json
import xml.dom.minidom
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("testhost")]

READER = Path(__file__).parent / "files" / "lo_read_config.py"
XCD = "/usr/lib/libreoffice/share/registry/kiemke.xcd"


@pytest.fixture(scope="module")
def office_config(provisioned) -> dict:
    proc = provisioned.host.run(["python3", "-"], input=READER.read_text(), timeout=120)
    return json.loads(proc.stdout)


def test_admin_layer_is_well_formed_xml(provisioned):
    doc = xml.dom.minidom.parseString(provisioned.host.read_text(XCD))  # noqa: S318 - ours
    props = {p.getAttribute("oor:name") for p in doc.getElementsByTagName("prop")}
    assert {"ooSetupFactoryDefaultFilter", "MacroSecurityLevel"} <= props


def test_libreoffice_saves_odf_by_default_and_users_cannot_change_it(office_config):
    assert office_config["writer"] == {"value": "writer8", "locked": True}
    assert office_config["calc"] == {"value": "calc8", "locked": True}


def test_libreoffice_macro_security_is_very_high_and_locked(office_config):
    assert office_config["macro_security_level"] == {"value": 3, "locked": True}


def test_vietnamese_language_support_and_fonts_are_installed(provisioned):
    installed = provisioned.host.run(
        "dpkg-query -W -f '${Package} ${Status}\\n' libreoffice-l10n-vi hunspell-vi "
        "fonts-liberation"
    ).stdout
    assert installed.count("install ok installed") == 3, installed
    assert "Liberation Serif" in provisioned.host.run("fc-list : family").stdout
