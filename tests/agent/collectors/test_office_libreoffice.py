"""LibreOffice admin-layer .xcd parsing: default filters, macro level, finalized."""

from agent.collectors import office_libreoffice as lo
from agent.collectors.context import Context
from tests.agent.helpers import fixture_text

LOCKED = fixture_text("linux", "libreoffice", "kiemke-odf-locked.xcd")
MS = fixture_text("linux", "libreoffice", "msformats-low-macro.xcd")


def test_odf_locked_high():
    o = lo.build([LOCKED])
    assert o.odf_default is True and o.macro_security_level == 3 and o.locked is True
    assert o.default_formats == {"writer": "writer8", "calc": "calc8", "impress": "impress8"}


def test_ms_formats_low_macro_unlocked():
    o = lo.build([MS])
    assert o.odf_default is False and o.macro_security_level == 0 and o.locked is False
    assert o.default_formats["writer"] == "MS Word 2007 XML"
    assert o.default_formats["impress"] == "impress8"  # not set: LibreOffice's default


def test_finalized_layer_wins_over_later_layers():
    o = lo.build([LOCKED, MS])
    assert o.odf_default is True and o.macro_security_level == 3


def test_item_format_xcu():
    o = lo.build([fixture_text("linux", "libreoffice", "registrymodifications.xcu")])
    assert o.macro_security_level == 1
    assert o.default_formats["impress"] == "Impress MS PowerPoint 2007 XML"


def test_defaults_without_admin_files():
    o = lo.build([])
    assert o.odf_default is True and o.macro_security_level == 2 and o.locked is False


def test_collect_tree(make_tree):
    root = make_tree({
        "usr/lib/libreoffice/program/versionrc": "[Version]\nProductVersion=7.4\n"
                                                  "MsiProductVersion=7.4.7.2\n",
        "usr/lib/libreoffice/share/registry/main.xcd": "<oor:data/>",
        "usr/lib/libreoffice/share/registry/kiemke.xcd": LOCKED,
    })
    ctx = Context(root=root)
    assert lo.is_enabled(ctx)
    o = lo.collect(ctx)
    assert o.version == "7.4.7.2" and o.locked is True and o.suite == "LibreOffice"
