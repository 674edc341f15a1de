"""SMBIOS vocabulary shared by the Linux (sysfs, dmidecode) and Windows (WMI) collectors."""

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



# SMBIOS memory device types (DSP0134 table 76), as Win32_PhysicalMemory.SMBIOSMemoryType gives.
MEMORY_TYPES = {
    18: "DDR", 19: "DDR2", 20: "DDR2 FB-DIMM", 24: "DDR3", 26: "DDR4", 27: "LPDDR",
    28: "LPDDR2", 29: "LPDDR3", 30: "LPDDR4", 34: "DDR5", 35: "LPDDR5",
}
