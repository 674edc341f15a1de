"""LibreOffice: default save formats and macro security from the shared (admin) .xcd layer."""

import re
from typing import Iterator, List, Optional, Tuple

from agent.schema import Office

CATEGORY = "security.office"

REGISTRY_DIRS = ("/usr/lib/libreoffice/share/registry", "/etc/libreoffice/registry",
                 "/opt/libreoffice/share/registry")
PROGRAM_DIRS = ("/usr/lib/libreoffice/program", "/opt/libreoffice/program")
WINDOWS_DIRS = ("C:/Program Files/LibreOffice", "C:/Program Files (x86)/LibreOffice")


def _dirs(ctx):
    """Return (registry dirs, program dirs) for the platform."""
    if ctx.platform == "win32":
        return ([f"{d}/share/registry" for d in WINDOWS_DIRS],
                [f"{d}/program" for d in WINDOWS_DIRS])
    return REGISTRY_DIRS, PROGRAM_DIRS
OOR = "{http://openoffice.org/2001/registry}"
FACTORIES = {
    "com.sun.star.text.TextDocument": "writer",
    "com.sun.star.sheet.SpreadsheetDocument": "calc",
    "com.sun.star.presentation.PresentationDocument": "impress",
}
ODF_FILTERS = {"writer": "writer8", "calc": "calc8", "impress": "impress8"}
MACRO_PATH = "/org.openoffice.Office.Common/Security/Scripting"
# LibreOffice's built-in values when no layer sets them (officecfg schema defaults).
DEFAULT_MACRO_LEVEL = 2
MAX_XCD_BYTES = 2 * 1024 * 1024  # stock main.xcd is larger and holds only built-in defaults
_WANTED = ("ooSetupFactoryDefaultFilter", "MacroSecurityLevel")


def is_enabled(ctx) -> bool:
    """Enabled where LibreOffice is installed (Linux or Windows)."""
    return any(ctx.exists(d) for d in _dirs(ctx)[1])


def _props(elem, path: str) -> Iterator[Tuple[str, str, Optional[str], bool]]:
    for child in elem:
        tag = child.tag
        if tag == "node" or tag == f"{OOR}node":
            yield from _props(child, f"{path}/{child.get(f'{OOR}name')}")
        elif tag == "item":
            yield from _props(child, child.get(f"{OOR}path", path))
        elif tag == "prop":
            value = child.find("value")
            text = value.text if value is not None else None
            finalized = child.get(f"{OOR}finalized") == "true"
            yield path, child.get(f"{OOR}name") or "", text, finalized


def parse_xcd(text: str) -> List[Tuple[str, str, Optional[str], bool]]:
    """Return (node path, property, value, finalized) for the properties an .xcd/.xcu sets."""
    import xml.etree.ElementTree as ET  # only when an admin layer exists: keeps start-up fast

    root = ET.fromstring(text)  # noqa: S314 - local files written by root, not network input
    out: List[Tuple[str, str, Optional[str], bool]] = []

    def visit(elem):
        tag = elem.tag.replace(OOR, "")
        if tag == "component-data":
            base = f"/{elem.get(f'{OOR}package')}.{elem.get(f'{OOR}name')}"
            out.extend(_props(elem, base))
        elif tag == "item":
            out.extend(_props(elem, elem.get(f"{OOR}path", "")))
        else:
            for child in elem:
                visit(child)

    visit(root)
    return out


def _factory(path: str) -> Optional[str]:
    m = re.search(r"/Factories/(?:org\.openoffice\.Setup:Factory\['([^']+)'\]|([^/]+))$", path)
    if not m:
        return None
    return FACTORIES.get(m.group(1) or m.group(2))


def build(xcd_texts: List[str], version: Optional[str] = None) -> Office:
    """Apply layers in order (later wins unless an earlier one finalized the value)."""
    formats = dict(ODF_FILTERS)
    level = DEFAULT_MACRO_LEVEL
    final = set()
    for text in xcd_texts:
        for path, name, value, finalized in parse_xcd(text):
            if name == "ooSetupFactoryDefaultFilter":
                app = _factory(path)
                if app and app not in final and value:
                    formats[app] = value
                    if finalized:
                        final.add(app)
            elif (
                name == "MacroSecurityLevel"
                and path.rstrip("/") == MACRO_PATH
                and "macro" not in final
                and value
                and value.strip().isdigit()
            ):
                level = int(value)
                if finalized:
                    final.add("macro")
    return Office(
        installed=True,
        suite="LibreOffice",
        version=version,
        default_formats=formats,
        odf_default=all(formats.get(a) == f for a, f in ODF_FILTERS.items()),
        macro_security_level=level if 0 <= level <= 3 else None,
        locked=bool(final) and all(a in final for a in [*ODF_FILTERS, "macro"]),
    )


def parse_version_ini(text: str) -> Optional[str]:
    """Return the version from LibreOffice's program/versionrc (``MsiProductVersion=7.4.7.2``)."""
    for key in ("MsiProductVersion", "ProductVersion"):
        m = re.search(rf"^{key}=(\S+)", text, re.M)
        if m:
            return m.group(1)
    return None


def collect(ctx) -> Office:
    """Read the admin-layer .xcd files that set the values we report (small ones only)."""
    registry_dirs, program_dirs = _dirs(ctx)
    texts = []
    for d in registry_dirs:
        for name in ctx.listdir(d):
            if not name.endswith((".xcd", ".xcu")):
                continue
            text = ctx.read_text(f"{d}/{name}", limit=MAX_XCD_BYTES + 1)
            if text and len(text) <= MAX_XCD_BYTES and any(w in text for w in _WANTED):
                texts.append(text)
    version = None
    for d in program_dirs:
        name = "version.ini" if ctx.platform == "win32" else "versionrc"
        version = parse_version_ini(ctx.read_text(f"{d}/{name}") or "")
        if version:
            break
    return build(texts, version)
