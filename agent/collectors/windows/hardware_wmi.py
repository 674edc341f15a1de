"""Windows hardware from WMI/CIM: system, BIOS, board, memory modules, disks, monitors, battery."""

from typing import Any, Dict, Optional

from agent.collectors import pwsh
from agent.collectors.smbios import MEMORY_TYPES, chassis_name, clean
from agent.schema import CPU, Battery, Disk, Hardware, Memory, MemoryModule, Monitor, SystemInfo

CATEGORY = "hardware"

SCRIPT = r"""
$ErrorActionPreference = 'SilentlyContinue'
$cs = Get-CimInstance Win32_ComputerSystem
$p = Get-CimInstance Win32_ComputerSystemProduct
$b = Get-CimInstance Win32_BIOS
$bb = Get-CimInstance Win32_BaseBoard
$en = Get-CimInstance Win32_SystemEnclosure
[pscustomobject]@{
  System = $cs | Select-Object Manufacturer, Model, TotalPhysicalMemory, HypervisorPresent
  Product = $p | Select-Object IdentifyingNumber, UUID, Vendor, Name
  Bios = $b | Select-Object Manufacturer, SMBIOSBIOSVersion, SerialNumber,
    @{n='ReleaseDate';e={if ($_.ReleaseDate) { $_.ReleaseDate.ToString('yyyy-MM-dd') }}}
  Board = $bb | Select-Object Manufacturer, Product, SerialNumber
  ChassisTypes = @($en.ChassisTypes)
  Processors = @(Get-CimInstance Win32_Processor | Select-Object Name, Manufacturer,
    NumberOfCores, NumberOfLogicalProcessors, MaxClockSpeed)
  Memory = @(Get-CimInstance Win32_PhysicalMemory | Select-Object DeviceLocator, BankLabel,
    Capacity, SMBIOSMemoryType, Speed, ConfiguredClockSpeed, Manufacturer, SerialNumber,
    PartNumber)
  Disks = @(Get-CimInstance Win32_DiskDrive | Select-Object Index, Model, SerialNumber, Size,
    InterfaceType, MediaType)
  Monitors = @(Get-CimInstance -Namespace root/wmi -ClassName WmiMonitorID | Select-Object
    InstanceName, ManufacturerName, UserFriendlyName, SerialNumberID, YearOfManufacture)
  Batteries = @(Get-CimInstance Win32_Battery | Select-Object DeviceID, Name,
    EstimatedChargeRemaining, DesignCapacity, FullChargeCapacity, BatteryStatus, Chemistry)
} | ConvertTo-Json -Compress -Depth 4
"""

_BATTERY_STATUS = {1: "Discharging", 2: "Not charging", 3: "Full", 6: "Charging",
                   7: "Charging", 8: "Charging", 9: "Charging"}
_CHEMISTRY = {3: "Lead Acid", 4: "NiCd", 5: "NiMH", 6: "Li-ion", 7: "Zinc air", 8: "Li-polymer"}


def is_enabled(ctx) -> bool:
    """Enabled on Windows."""
    return ctx.platform == "win32"


def _wmi_string(codes: Any) -> Optional[str]:
    """WmiMonitorID strings are arrays of UTF-16 code units, zero padded."""
    if not isinstance(codes, list):
        return pwsh.text(codes)
    return "".join(chr(c) for c in codes if isinstance(c, int) and c > 0).strip() or None


def _int(value: Any) -> Optional[int]:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse_hardware(text: str) -> Hardware:
    """Turn the script's JSON into Hardware (system, memory modules, disks, monitors, battery)."""
    data: Dict[str, Any] = pwsh.loads(text) or {}
    cs = data.get("System") or {}
    prod = data.get("Product") or {}
    bios = data.get("Bios") or {}
    board = data.get("Board") or {}
    chassis = [c for c in pwsh.as_list(data.get("ChassisTypes")) if c]
    model = clean(pwsh.text(cs.get("Model")))
    system = SystemInfo(
        vendor=clean(pwsh.text(cs.get("Manufacturer"))),
        model=model,
        serial=clean(pwsh.text(prod.get("IdentifyingNumber"))) or clean(
            pwsh.text(bios.get("SerialNumber"))),
        uuid=(clean(pwsh.text(prod.get("UUID"))) or "").lower() or None,
        chassis_type=chassis_name(chassis[0]) if chassis else None,
        bios_vendor=clean(pwsh.text(bios.get("Manufacturer"))),
        bios_version=clean(pwsh.text(bios.get("SMBIOSBIOSVersion"))),
        bios_date=pwsh.text(bios.get("ReleaseDate")),
        board_vendor=clean(pwsh.text(board.get("Manufacturer"))),
        board_model=clean(pwsh.text(board.get("Product"))),
        board_serial=clean(pwsh.text(board.get("SerialNumber"))),
        virtual=bool(model and any(v in model.lower() for v in (
            "virtual machine", "vmware", "virtualbox", "kvm", "qemu", "hvm domu"))),
    )
    modules = []
    for m in pwsh.as_list(data.get("Memory")):
        size = _int(m.get("Capacity"))
        if not size:
            continue
        modules.append(MemoryModule(
            slot=pwsh.text(m.get("DeviceLocator")) or pwsh.text(m.get("BankLabel")),
            size_bytes=size,
            type=MEMORY_TYPES.get(_int(m.get("SMBIOSMemoryType")) or 0),
            speed_mts=_int(m.get("Speed")) or None,
            manufacturer=clean(pwsh.text(m.get("Manufacturer"))),
            serial=clean(pwsh.text(m.get("SerialNumber"))),
            part_number=clean(pwsh.text(m.get("PartNumber"))),
        ))
    disks = []
    for d in pwsh.as_list(data.get("Disks")):
        media = (pwsh.text(d.get("MediaType")) or "").lower()
        disks.append(Disk(
            name=f"PhysicalDrive{d.get('Index')}",
            model=pwsh.text(d.get("Model")),
            serial=pwsh.text(d.get("SerialNumber")),
            size_bytes=_int(d.get("Size")),
            transport=(pwsh.text(d.get("InterfaceType")) or "").lower() or None,
            removable="removable" in media or None,
        ))
    monitors = []
    for m in pwsh.as_list(data.get("Monitors")):
        year = _int(m.get("YearOfManufacture"))
        monitors.append(Monitor(
            vendor=_wmi_string(m.get("ManufacturerName")),
            model=_wmi_string(m.get("UserFriendlyName")),
            serial=_wmi_string(m.get("SerialNumberID")),
            manufacture_year=year if year and year > 1990 else None,
        ))
    batteries = []
    for b in pwsh.as_list(data.get("Batteries")):
        design = _int(b.get("DesignCapacity"))
        full = _int(b.get("FullChargeCapacity"))
        pct = _int(b.get("EstimatedChargeRemaining"))
        batteries.append(Battery(
            name=pwsh.text(b.get("DeviceID")) or pwsh.text(b.get("Name")),
            model=pwsh.text(b.get("Name")),
            percent=float(round(min(100, max(0, pct)), -1)) if pct is not None else None,
            design_capacity_wh=design / 1000 if design else None,  # WMI gives mWh
            full_capacity_wh=full / 1000 if full else None,
            status=_BATTERY_STATUS.get(_int(b.get("BatteryStatus")) or 0),
            technology=_CHEMISTRY.get(_int(b.get("Chemistry")) or 0),
        ))
    procs = pwsh.as_list(data.get("Processors"))
    cpu = CPU()
    if procs:
        first = procs[0]
        cpu = CPU(
            model=" ".join((pwsh.text(first.get("Name")) or "").split()) or None,
            vendor=pwsh.text(first.get("Manufacturer")),
            sockets=len(procs),
            cores=sum(_int(p.get("NumberOfCores")) or 0 for p in procs) or None,
            threads=sum(_int(p.get("NumberOfLogicalProcessors")) or 0 for p in procs) or None,
            max_mhz=float(_int(first.get("MaxClockSpeed")) or 0) or None,
        )
    total = _int(cs.get("TotalPhysicalMemory"))
    return Hardware(
        system=system,
        cpu=cpu,
        memory=Memory(total_bytes=total or 0, modules=modules) if (total or modules) else None,
        disks=disks,
        monitors=monitors,
        batteries=batteries,
    )


def collect(ctx) -> Hardware:
    """Query WMI through PowerShell."""
    return parse_hardware(ctx.powershell(SCRIPT, timeout=60))
