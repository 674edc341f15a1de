"""System, BIOS and board identity from SMBIOS via /sys/class/dmi/id (Linux)."""

from agent.schema import SystemInfo

CATEGORY = "hardware.system"

DMI_DIR = "/sys/class/dmi/id"

# SMBIOS 3.x chassis types (DSP0134 table 17).
CHASSIS_TYPES = {
    1: "other", 2: "unknown", 3: "desktop", 4: "low-profile-desktop", 5: "pizza-box",
    6: "mini-tower", 7: "tower", 8: "portable", 9: "laptop", 10: "notebook", 11: "hand-held",
    12: "docking-station", 13: "all-in-one", 14: "sub-notebook", 15: "space-saving",
    16: "lunch-box", 17: "main-server-chassis", 18: "expansion-chassis", 19: "sub-chassis",
    20: "bus-expansion-chassis", 21: "peripheral-chassis", 22: "raid-chassis",
    23: "rack-mount-chassis", 24: "sealed-case-pc", 25: "multi-system-chassis",
    26: "compact-pci", 27: "advanced-tca", 28: "blade", 29: "blade-enclosure", 30: "tablet",
    31: "convertible", 32: "detachable", 33: "iot-gateway", 34: "embedded-pc", 35: "mini-pc",
    36: "stick-pc",
}

# Placeholder strings firmware vendors leave in unset fields.
PLACEHOLDERS = {
    "", "none", "n/a", "na", "not specified", "not applicable", "default string",
    "to be filled by o.e.m.", "to be filled by oem", "system serial number", "system product name",
    "system manufacturer", "0", "00000000", "0123456789", "123456789", "x.x", "oem", "o.e.m.",
    "chassis serial number", "base board serial number", "type1productconfigid",
    "03000200-0400-0500-0006-000700080009",
}
VIRTUAL_VENDORS = ("qemu", "kvm", "vmware", "virtualbox", "innotek", "xen", "microsoft corporation",
                   "bochs", "parallels", "openstack", "amazon ec2", "google")


def clean(value):
    """Return a DMI string stripped, or None when it is empty or a vendor placeholder."""
    if value is None:
        return None
    value = value.strip()
    if value.lower() in PLACEHOLDERS or set(value) <= {"0", "-", " ", "F", "f"}:
        return None
    return value


def chassis_name(code):
    """Turn an SMBIOS chassis type number into a word."""
    try:
        return CHASSIS_TYPES.get(int(str(code).strip()), "unknown")
    except ValueError:
        return clean(code)


def parse_dmi(values: dict) -> SystemInfo:
    """Build SystemInfo from a mapping of /sys/class/dmi/id file names to their contents."""
    g = lambda k: clean(values.get(k))  # noqa: E731
    vendor = g("sys_vendor")
    model = g("product_name")
    virtual = None
    if vendor or model:
        probe = f"{vendor or ''} {model or ''}".lower()
        virtual = any(v in probe for v in VIRTUAL_VENDORS) and "surface" not in probe
    uuid = g("product_uuid")
    return SystemInfo(
        vendor=vendor,
        model=model,
        serial=g("product_serial"),
        uuid=uuid.lower() if uuid else None,
        chassis_type=chassis_name(values["chassis_type"]) if values.get("chassis_type") else None,
        bios_vendor=g("bios_vendor"),
        bios_version=g("bios_version"),
        bios_date=g("bios_date"),
        board_vendor=g("board_vendor"),
        board_model=g("board_name"),
        board_serial=g("board_serial"),
        virtual=virtual,
    )


FIELDS = ("sys_vendor", "product_name", "product_serial", "product_uuid", "chassis_type",
          "bios_vendor", "bios_version", "bios_date", "board_vendor", "board_name", "board_serial")


def is_enabled(ctx) -> bool:
    """Enabled where the kernel exposes DMI."""
    return ctx.exists(DMI_DIR)


def collect(ctx) -> SystemInfo:
    """Read DMI files (serials and UUID need root) and describe the system."""
    values = {}
    for name in FIELDS:
        text = ctx.read_text(f"{DMI_DIR}/{name}")
        if text is not None:
            values[name] = text
    return parse_dmi(values)
