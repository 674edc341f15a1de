"""System, BIOS and board identity from SMBIOS via /sys/class/dmi/id (Linux)."""

from agent.collectors.smbios import chassis_name, clean
from agent.schema import SystemInfo

CATEGORY = "hardware.system"

DMI_DIR = "/sys/class/dmi/id"

VIRTUAL_VENDORS = ("qemu", "kvm", "vmware", "virtualbox", "innotek", "xen", "microsoft corporation",
                   "bochs", "parallels", "openstack", "amazon ec2", "google")


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
