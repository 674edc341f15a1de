"""Start LibreOffice headless in the test host and print what its configuration says, as JSON.

Runs inside the test host with the system Python (python3-uno). Prints the default save
filter of each document kind and the macro security level as LibreOffice itself resolves them
from all layers, and whether each can be changed (finalized values are read-only).
"""

import json
import os
import subprocess
import sys
import tempfile
import time

import uno
from com.sun.star.beans import PropertyValue

NODES = {
    "writer": ("/org.openoffice.Setup/Office/Factories/com.sun.star.text.TextDocument",
               "ooSetupFactoryDefaultFilter"),
    "calc": ("/org.openoffice.Setup/Office/Factories/com.sun.star.sheet.SpreadsheetDocument",
             "ooSetupFactoryDefaultFilter"),
    "impress": (
        "/org.openoffice.Setup/Office/Factories/com.sun.star.presentation.PresentationDocument",
        "ooSetupFactoryDefaultFilter"),
    "macro_security_level": ("/org.openoffice.Office.Common/Security/Scripting",
                             "MacroSecurityLevel"),
}
READONLY = 16  # com.sun.star.beans.PropertyAttribute.READONLY


def connect(pipe):
    """Connect to the office listening on the pipe, waiting for it to come up."""
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + 60
    while True:
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def main():
    """Start soffice, read the settings, stop soffice."""
    profile = tempfile.mkdtemp(prefix="lo-profile-")
    pipe = f"kiemke{os.getpid()}"
    office = subprocess.Popen(
        ["soffice", "--headless", "--invisible", "--norestore", "--nologo",
         f"-env:UserInstallation=file://{profile}", f"--accept=pipe,name={pipe};urp;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        ctx = connect(pipe)
        provider = ctx.ServiceManager.createInstanceWithContext(
            "com.sun.star.configuration.ConfigurationProvider", ctx)
        out = {}
        for key, (path, prop) in NODES.items():
            arg = PropertyValue()
            arg.Name, arg.Value = "nodepath", path
            try:
                access = provider.createInstanceWithArguments(
                    "com.sun.star.configuration.ConfigurationUpdateAccess", (arg,))
            except Exception:  # the module (e.g. Impress) is not installed
                out[key] = None
                continue
            attrs = access.getPropertySetInfo().getPropertyByName(prop).Attributes
            out[key] = {"value": access.getByName(prop), "locked": bool(attrs & READONLY)}
        json.dump(out, sys.stdout)
    finally:
        office.terminate()
        try:
            office.wait(timeout=20)
        except subprocess.TimeoutExpired:
            office.kill()


if __name__ == "__main__":
    main()
