"""The Kiemke wire format: what an agent reports, shared by the agent and the server.

Every field carries a description (and a unit where it has one); ``schema/report.schema.json``
is generated from these definitions and a test fails when it drifts.

Annotations are postponed: msgspec evaluates a class's annotations when it first decodes,
converts or describes that type, not at import, so an agent that only collects and encodes
(``kiemke-agent show``, a report) does not pay for building them. They are still evaluated, on
Python 3.9 too, so they use ``typing`` forms rather than ``X | None``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Dict, List, Literal, Optional, Union, get_args, get_origin

import msgspec
from msgspec import Meta, Struct

SCHEMA_VERSION = 1
"""Version of the report format; bumped when a change is not backward compatible."""

SECTIONS = ("os", "hardware", "network", "software", "security")
"""The report's sections, in wire order. Each has a digest; a delta report omits unchanged ones."""


def _d(tp, description, **constraints):
    """Annotate a type with a description (and optional constraints) for the JSON Schema."""
    if constraints and get_origin(tp) is Union and type(None) in get_args(tp):
        # msgspec takes constraints on the value type, not on the Optional around it.
        (inner,) = (a for a in get_args(tp) if a is not type(None))
        tp = Optional[Annotated[inner, Meta(**constraints)]]
        constraints = {}
    return Annotated[tp, Meta(description=description, **constraints)]


Str = str
OptStr = Optional[str]
OptInt = Optional[int]
OptBool = Optional[bool]
OptFloat = Optional[float]
OptTime = Optional[datetime]


class _Base(Struct, kw_only=True, omit_defaults=True, forbid_unknown_fields=False):
    """Common settings: keyword-only, unknown fields tolerated, defaults omitted on the wire."""


# --- identity -------------------------------------------------------------------------------


class AgentInfo(_Base, kw_only=True):
    """The agent that produced the report."""

    version: _d(Str, "Agent version, e.g. 0.1.0.", max_length=64)
    platform: _d(Str, "Python's sys.platform on the host, e.g. linux or win32.", max_length=32)
    python: _d(OptStr, "Python version the agent runs on.", max_length=32) = None


class HostIdentity(_Base, kw_only=True):
    """What identifies the machine across reports, reinstalls and renames."""

    hostname: _d(Str, "Short host name.", min_length=1, max_length=255)
    fqdn: _d(OptStr, "Fully qualified domain name, where resolvable.", max_length=255) = None
    machine_id: _d(
        OptStr,
        "Operating-system installation id (/etc/machine-id, Windows MachineGuid).",
        max_length=128,
    ) = None
    dmi_uuid: _d(OptStr, "SMBIOS system UUID, where readable.", max_length=64) = None
    serial: _d(OptStr, "SMBIOS system serial number, where readable.", max_length=128) = None
    mac_addresses: _d(
        List[str], "MAC addresses of physical network interfaces, lower case, colon-separated."
    ) = []
    role: _d(
        Optional[Literal["workstation", "server"]],
        "Role of the machine: set in the agent configuration, else guessed from chassis and OS.",
    ) = None


# --- os ---------------------------------------------------------------------------------------


class OSInfo(_Base, kw_only=True):
    """Operating system."""

    family: _d(Literal["linux", "windows", "darwin", "other"], "Operating-system family.")
    name: _d(Str, "Product name, e.g. Debian GNU/Linux 12 (bookworm) or Windows 11 Pro.")
    version: _d(OptStr, "Version, e.g. 12 or 10.0.22631.") = None
    distribution_id: _d(OptStr, "os-release ID (debian, ubuntu, rhel...); windows on Windows.") = (
        None
    )
    id_like: _d(List[str], "os-release ID_LIKE: families this distribution derives from.") = []
    codename: _d(OptStr, "Release code name, e.g. bookworm.") = None
    edition: _d(OptStr, "Edition, e.g. Professional, ServerStandard.") = None
    kernel: _d(OptStr, "Kernel release (uname -r) or Windows build.") = None
    arch: _d(OptStr, "Machine architecture, e.g. x86_64, AMD64, aarch64.") = None
    boot_time: _d(OptTime, "When the system last booted (UTC).") = None
    timezone: _d(OptStr, "Local time zone name or UTC offset.") = None
    locale: _d(OptStr, "System locale, e.g. vi_VN.UTF-8.") = None


# --- hardware ---------------------------------------------------------------------------------


class SystemInfo(_Base, kw_only=True):
    """The machine as SMBIOS/DMI describes it."""

    vendor: _d(OptStr, "System manufacturer.") = None
    model: _d(OptStr, "System product name.") = None
    serial: _d(OptStr, "System serial number.") = None
    uuid: _d(OptStr, "System UUID.") = None
    chassis_type: _d(
        OptStr, "Chassis type as a word: desktop, laptop, notebook, server, rack, virtual..."
    ) = None
    bios_vendor: _d(OptStr, "BIOS/UEFI firmware vendor.") = None
    bios_version: _d(OptStr, "BIOS/UEFI firmware version.") = None
    bios_date: _d(OptStr, "BIOS/UEFI firmware release date as printed by the firmware.") = None
    board_vendor: _d(OptStr, "Main board manufacturer.") = None
    board_model: _d(OptStr, "Main board product name.") = None
    board_serial: _d(OptStr, "Main board serial number.") = None
    virtual: _d(OptBool, "True when the machine is a virtual machine or container.") = None


class CPU(_Base, kw_only=True):
    """Processors."""

    model: _d(OptStr, "Processor model name.") = None
    vendor: _d(OptStr, "Processor vendor id.") = None
    sockets: _d(OptInt, "Populated sockets.", ge=0) = None
    cores: _d(OptInt, "Physical cores in all sockets.", ge=0) = None
    threads: _d(OptInt, "Logical processors.", ge=0) = None
    max_mhz: _d(OptFloat, "Maximum frequency, in MHz.", ge=0) = None


class MemoryModule(_Base, kw_only=True):
    """One installed memory module."""

    slot: _d(OptStr, "Slot or locator name.") = None
    size_bytes: _d(OptInt, "Module size, in bytes.", ge=0) = None
    type: _d(OptStr, "Memory type, e.g. DDR4.") = None
    speed_mts: _d(OptInt, "Speed, in MT/s.", ge=0) = None
    manufacturer: _d(OptStr, "Module manufacturer.") = None
    serial: _d(OptStr, "Module serial number.") = None
    part_number: _d(OptStr, "Module part number.") = None


class Memory(_Base, kw_only=True):
    """Main memory."""

    total_bytes: _d(int, "Usable physical memory, in bytes.", ge=0)
    swap_bytes: _d(OptInt, "Swap space, in bytes.", ge=0) = None
    modules: _d(List[MemoryModule], "Installed modules, where readable (dmidecode, WMI).") = []


class Disk(_Base, kw_only=True):
    """A physical or virtual block device (not a partition)."""

    name: _d(Str, "Device name, e.g. sda, nvme0n1, PhysicalDrive0.")
    model: _d(OptStr, "Disk model.") = None
    vendor: _d(OptStr, "Disk vendor.") = None
    serial: _d(OptStr, "Disk serial number.") = None
    size_bytes: _d(OptInt, "Capacity, in bytes.", ge=0) = None
    rotational: _d(OptBool, "True for spinning disks, False for SSDs.") = None
    transport: _d(OptStr, "Bus or transport: sata, nvme, usb, virtio...") = None
    removable: _d(OptBool, "True for removable media.") = None


class FileSystem(_Base, kw_only=True):
    """A mounted file system."""

    mountpoint: _d(Str, "Mount point or drive letter.")
    device: _d(OptStr, "Source device.") = None
    fstype: _d(OptStr, "File-system type.") = None
    total_bytes: _d(OptInt, "Size, in bytes.", ge=0) = None
    used_bytes: _d(
        OptInt,
        "Used space, in bytes, rounded down to 1% of the size (at least 64 MiB) so that an "
        "unchanged machine's hardware section keeps its digest.",
        ge=0,
    ) = None


class Monitor(_Base, kw_only=True):
    """A connected display, from EDID where readable."""

    vendor: _d(OptStr, "Manufacturer (EDID PNP id or name).") = None
    model: _d(OptStr, "Monitor model name.") = None
    serial: _d(OptStr, "Monitor serial number.") = None
    manufacture_year: _d(OptInt, "Year of manufacture.") = None
    connector: _d(OptStr, "Output it is connected to, e.g. HDMI-A-1, DP-1.") = None
    size_cm: _d(OptStr, "Visible image size as WIDTHxHEIGHT, in centimetres.") = None


class Battery(_Base, kw_only=True):
    """A battery."""

    name: _d(OptStr, "Battery name.") = None
    manufacturer: _d(OptStr, "Manufacturer.") = None
    model: _d(OptStr, "Model.") = None
    serial: _d(OptStr, "Serial number.") = None
    percent: _d(
        OptFloat, "Charge, in percent, rounded to a multiple of 10 (it changes every run).",
        ge=0, le=100,
    ) = None
    design_capacity_wh: _d(OptFloat, "Design capacity, in Wh.", ge=0) = None
    full_capacity_wh: _d(OptFloat, "Last full capacity, in Wh.", ge=0) = None
    status: _d(OptStr, "Charging, Discharging, Full, Not charging or Unknown.") = None
    technology: _d(OptStr, "Chemistry, e.g. Li-ion.") = None


class Hardware(_Base, kw_only=True):
    """Hardware of the machine."""

    system: _d(SystemInfo, "SMBIOS system, BIOS and board information.") = msgspec.field(
        default_factory=SystemInfo
    )
    cpu: _d(CPU, "Processors.") = msgspec.field(default_factory=CPU)
    memory: _d(Optional[Memory], "Main memory.") = None
    disks: _d(List[Disk], "Block devices.") = []
    filesystems: _d(List[FileSystem], "Mounted local file systems.") = []
    monitors: _d(List[Monitor], "Connected displays.") = []
    batteries: _d(List[Battery], "Batteries.") = []


# --- network ----------------------------------------------------------------------------------


class Interface(_Base, kw_only=True):
    """A network interface."""

    name: _d(Str, "Interface name.")
    mac: _d(OptStr, "MAC address, lower case, colon-separated.") = None
    ipv4: _d(List[str], "IPv4 addresses with prefix length, e.g. 10.1.2.3/24.") = []
    ipv6: _d(List[str], "IPv6 addresses with prefix length.") = []
    up: _d(OptBool, "True when the interface is up.") = None
    speed_mbps: _d(OptInt, "Link speed, in Mbit/s.", ge=0) = None
    mtu: _d(OptInt, "MTU, in bytes.", ge=0) = None
    virtual: _d(OptBool, "True for loopback, bridges, tunnels and other virtual interfaces.") = (
        None
    )


class Network(_Base, kw_only=True):
    """Network configuration."""

    interfaces: _d(List[Interface], "Network interfaces.") = []
    default_gateway: _d(OptStr, "Default IPv4 gateway.") = None
    dns_servers: _d(List[str], "Configured DNS servers.") = []
    domain: _d(OptStr, "DNS search domain or Windows domain/workgroup.") = None


# --- software ---------------------------------------------------------------------------------


class Package(_Base, kw_only=True):
    """One installed program or package."""

    name: _d(Str, "Package or program name.", min_length=1, max_length=512)
    version: _d(OptStr, "Installed version.", max_length=256) = None
    arch: _d(OptStr, "Architecture, e.g. amd64, x86_64, x64.", max_length=32) = None
    source: _d(
        Str,
        "Where the record came from: deb, rpm, snap, flatpak, windows (registry), msi...",
        max_length=32,
    )
    publisher: _d(OptStr, "Publisher, vendor or maintainer.", max_length=512) = None
    install_date: _d(OptTime, "When it was installed, where the source records it (UTC).") = None
    section: _d(
        OptStr,
        "Archive section (e.g. main/utils, non-free/net) or repository/channel.",
        max_length=128,
    ) = None
    origin: _d(OptStr, "Archive origin or vendor repository, e.g. Debian.", max_length=128) = None
    license: _d(OptStr, "Licence as declared by the package, where it declares one.") = None
    scope: _d(
        Optional[Literal["machine", "user"]],
        "machine for system-wide installs, user for per-user installs (Windows HKU).",
    ) = None
    size_kb: _d(OptInt, "Installed size, in KiB.", ge=0) = None


class ProductLicense(_Base, kw_only=True):
    """Licence state of an operating system or office product (never the full key)."""

    product: _d(Str, "Licensed product, e.g. Windows 11 Pro, Office 16 ProPlus.")
    channel: _d(OptStr, "Licence channel, e.g. OEM, Retail, Volume:MAK, Volume:KMS.") = None
    status: _d(
        OptStr, "Activation status: licensed, unlicensed, grace, notification, unknown."
    ) = None
    partial_key: _d(
        OptStr, "Last five characters of the product key only.", max_length=5, pattern=r"^\S{1,5}$"
    ) = None
    kind: _d(
        Optional[Literal["windows", "office", "other"]],
        "What the licence is for: the operating system, an office suite or something else.",
    ) = None


class Software(_Base, kw_only=True):
    """Installed software."""

    packages: _d(List[Package], "Installed packages and programs.") = []
    licenses: _d(List[ProductLicense], "Windows and Office licence state.") = []


# --- security posture -------------------------------------------------------------------------


class AntivirusProduct(_Base, kw_only=True):
    """One anti-malware product found on the machine."""

    name: _d(Str, "Product name, e.g. ClamAV, Microsoft Defender, BKAV, Kaspersky.")
    vendor: _d(OptStr, "Vendor.") = None
    version: _d(OptStr, "Engine or product version.") = None
    running: _d(OptBool, "True when its scanning service is running.") = None
    realtime: _d(OptBool, "True when on-access (real-time) protection is on.") = None
    signature_version: _d(OptStr, "Signature database version.") = None
    signature_date: _d(OptTime, "When the signatures were built or last updated (UTC).") = None
    signature_age_days: _d(
        OptFloat, "Age of the signatures when collected, in days (one decimal).", ge=0
    ) = None
    updater_running: _d(OptBool, "True when the signature updater runs (e.g. freshclam).") = None
    signatures_up_to_date: _d(
        OptBool, "The product's own verdict on its signatures (Security Center), where given."
    ) = None
    source: _d(OptStr, "How it was detected: clamav, defender, securitycenter, service...") = None
    state: _d(
        OptStr, "Product state as reported, e.g. Security Center productState, Defender mode."
    ) = None


class Antivirus(_Base, kw_only=True):
    """Anti-malware posture; the top-level fields summarise the best product found."""

    installed: _d(bool, "True when any anti-malware product is installed.") = False
    running: _d(OptBool, "True when the best product's scanner is running.") = None
    realtime: _d(OptBool, "True when the best product has real-time protection on.") = None
    product: _d(OptStr, "Name of the best product found.") = None
    signature_age_days: _d(OptFloat, "Signature age of the best product, in days.", ge=0) = None
    products: _d(List[AntivirusProduct], "Every product found.") = []


class FirewallProfile(_Base, kw_only=True):
    """A firewall profile (Windows domain/private/public) or zone."""

    name: _d(Str, "Profile or zone name.")
    enabled: _d(OptBool, "True when enforcing.") = None
    default_inbound: _d(OptStr, "Default inbound action: allow, block or drop.") = None


class Firewall(_Base, kw_only=True):
    """Host firewall."""

    enabled: _d(OptBool, "True when a host firewall enforces an inbound policy.") = None
    backend: _d(OptStr, "ufw, firewalld, nftables, iptables or windows.") = None
    default_inbound: _d(OptStr, "Default inbound action: allow, block or drop.") = None
    profiles: _d(List[FirewallProfile], "Per-profile state (Windows) or zones.") = []


class Updates(_Base, kw_only=True):
    """Operating-system updates."""

    automatic: _d(OptBool, "True when updates are installed automatically.") = None
    mechanism: _d(
        OptStr, "unattended-upgrades, dnf-automatic, yum-cron, windows-update or wsus."
    ) = None
    last_update: _d(OptTime, "When updates were last installed (UTC).") = None
    pending: _d(OptInt, "Pending updates, where cheap to know.", ge=0) = None
    pending_security: _d(OptInt, "Pending security updates, where cheap to know.", ge=0) = None
    reboot_required: _d(OptBool, "True when a reboot is pending.") = None


class LocalUser(_Base, kw_only=True):
    """A local account able to log in."""

    name: _d(Str, "Account name.")
    uid: _d(OptStr, "UID or SID.") = None
    admin: _d(bool, "True when the account has administrative rights.") = False
    disabled: _d(OptBool, "True when the account is locked or disabled.") = None
    shell: _d(OptStr, "Login shell (Linux).") = None
    last_login: _d(OptTime, "Last log-in (UTC), where known.") = None


class Accounts(_Base, kw_only=True):
    """Local accounts and password policy."""

    users: _d(List[LocalUser], "Local accounts able to log in (human accounts).") = []
    administrators: _d(
        List[str], "Members of sudo, wheel, admin or the Administrators group."
    ) = []
    uid0: _d(List[str], "Accounts with UID 0 (Linux).") = []
    password_min_length: _d(OptInt, "Minimum password length enforced.", ge=0) = None
    password_max_days: _d(OptInt, "Maximum password age, in days.", ge=0) = None
    lockout_threshold: _d(OptInt, "Failed log-ins before lockout (0 = never).", ge=0) = None


class EncryptedVolume(_Base, kw_only=True):
    """Encryption state of one volume."""

    mountpoint: _d(Str, "Mount point or drive letter.")
    encrypted: _d(OptBool, "True when the volume is encrypted.") = None
    method: _d(OptStr, "luks, bitlocker, fscrypt...") = None
    protection_on: _d(OptBool, "BitLocker protection status.") = None


class Encryption(_Base, kw_only=True):
    """Disk encryption."""

    root_encrypted: _d(OptBool, "True when the system volume is encrypted.") = None
    volumes: _d(List[EncryptedVolume], "Per-volume state.") = []


class ScreenLock(_Base, kw_only=True):
    """Screen lock for idle sessions."""

    enabled: _d(OptBool, "True when the screen locks when idle.") = None
    idle_delay_seconds: _d(
        OptInt, "Idle time before the screen blanks/locks, in seconds.", ge=0
    ) = None
    lock_delay_seconds: _d(OptInt, "Delay between blanking and locking, in seconds.", ge=0) = None
    enforced: _d(OptBool, "True when the setting is enforced (dconf locks, GPO).") = None
    applicable: _d(OptBool, "False when the machine has no graphical session.") = None


class SSHServer(_Base, kw_only=True):
    """OpenSSH server settings (effective values)."""

    installed: _d(bool, "True when an SSH server is installed.") = False
    running: _d(OptBool, "True when it is running.") = None
    permit_root_login: _d(OptStr, "PermitRootLogin: yes, no, prohibit-password...") = None
    password_authentication: _d(OptBool, "PasswordAuthentication.") = None
    port: _d(OptInt, "Listening port.", ge=0, le=65535) = None
    permit_empty_passwords: _d(OptBool, "PermitEmptyPasswords.") = None
    x11_forwarding: _d(OptBool, "X11Forwarding.") = None
    max_auth_tries: _d(OptInt, "MaxAuthTries.", ge=0) = None
    source: _d(OptStr, "sshd -T (effective) or config (parsed sshd_config).") = None


class Office(_Base, kw_only=True):
    """Office suite and its configuration."""

    installed: _d(bool, "True when an office suite is installed.") = False
    suite: _d(OptStr, "LibreOffice, Microsoft Office, WPS Office...") = None
    version: _d(OptStr, "Suite version.") = None
    default_formats: _d(
        Dict[str, str],
        "Default save filter per application (writer, calc, impress), e.g. writer8.",
    ) = {}
    odf_default: _d(OptBool, "True when ODF is the default save format in every application.") = (
        None
    )
    macro_security_level: _d(
        OptInt, "LibreOffice MacroSecurityLevel (0 low..3 very high).", ge=0, le=3
    ) = None
    locked: _d(OptBool, "True when these settings are locked by the administrator.") = None


class Mail(_Base, kw_only=True):
    """Mail client and relay configuration."""

    client_installed: _d(bool, "True when a mail client is installed.") = False
    client: _d(OptStr, "Thunderbird, Outlook...") = None
    policies_present: _d(OptBool, "True when enterprise policies are installed for it.") = None
    account_domains: _d(List[str], "Mail domains configured (autoconfig, policies).") = []
    relayhost: _d(OptStr, "Postfix relayhost, where Postfix is installed.") = None
    relay_tls: _d(OptStr, "Postfix smtp_tls_security_level.") = None


class Security(_Base, kw_only=True):
    """Security posture. A subsection is absent when it could not be collected (see errors)."""

    antivirus: _d(Optional[Antivirus], "Anti-malware.") = None
    firewall: _d(Optional[Firewall], "Host firewall.") = None
    updates: _d(Optional[Updates], "Operating-system updates.") = None
    accounts: _d(Optional[Accounts], "Local accounts and password policy.") = None
    encryption: _d(Optional[Encryption], "Disk encryption.") = None
    screen_lock: _d(Optional[ScreenLock], "Screen lock.") = None
    ssh: _d(Optional[SSHServer], "SSH server.") = None
    office: _d(Optional[Office], "Office suite configuration.") = None
    mail: _d(Optional[Mail], "Mail configuration.") = None


# --- report -----------------------------------------------------------------------------------


class CollectorError(_Base, kw_only=True):
    """A collector that failed; its section is sent empty so the server keeps the last data."""

    collector: _d(Str, "Collector module, e.g. software_deb.", max_length=128)
    section: _d(Str, "Report section it feeds.", max_length=32)
    message: _d(Str, "What went wrong.", max_length=2000)


class Report(_Base, kw_only=True, omit_defaults=False):
    """One report from an agent: full (every section) or delta (changed sections only)."""

    schema_version: _d(int, "Version of this format.", ge=1)
    kind: _d(
        Literal["full", "delta"],
        "full carries every section; delta carries changed sections and digests of the rest.",
    ) = "full"
    agent: _d(AgentInfo, "The reporting agent.")
    host: _d(HostIdentity, "Identity of the machine.")
    collected_at: _d(datetime, "When the report was collected (UTC).")
    digests: _d(
        Dict[str, str], "SHA-256 (hex) of each section's canonical JSON, for every section."
    ) = {}
    os: _d(Optional[OSInfo], "Operating system.") = None
    hardware: _d(Optional[Hardware], "Hardware.") = None
    network: _d(Optional[Network], "Network configuration.") = None
    software: _d(Optional[Software], "Installed software.") = None
    security: _d(Optional[Security], "Security posture.") = None
    errors: _d(List[CollectorError], "Collectors that failed.") = []


class EnrollRequest(_Base, kw_only=True):
    """Body of POST /api/v1/enroll."""

    secret: _d(Str, "Enrollment secret handed out by the IT officer.", min_length=1, max_length=256)
    host: _d(HostIdentity, "Identity of the machine.")
    agent: _d(AgentInfo, "The enrolling agent.")


class EnrollResponse(_Base, kw_only=True):
    """Answer to an enrollment: the host's id and its own token (shown once)."""

    host_id: _d(int, "Server-side host id.")
    token: _d(Str, "Per-host token for reports; stored by the server only as a hash.")
    unit: _d(OptStr, "Code of the org unit the host was enrolled into.") = None


class ReportResponse(_Base, kw_only=True, omit_defaults=False):
    """Answer to a report."""

    status: _d(Literal["accepted"], "accepted when the report was stored.")
    host_id: _d(int, "Server-side host id.")
    need_full: _d(
        List[str],
        "Sections the server needs in full next time (its stored digest differs or is missing).",
    ) = []


# --- helpers ----------------------------------------------------------------------------------

_encoder = msgspec.json.Encoder(order="deterministic")
_report_decoder = None  # built on first use: it evaluates every annotation of the schema


def section_digest(value) -> str:
    """Return the SHA-256 hex digest of a section's canonical JSON encoding."""
    return hashlib.sha256(_encoder.encode(value)).hexdigest()


def encode(obj) -> bytes:
    """Encode a schema object as canonical JSON bytes."""
    return _encoder.encode(obj)


def report_decoder() -> msgspec.json.Decoder:
    """Return the decoder of reports, shared by the agent and the server's two report paths."""
    global _report_decoder
    if _report_decoder is None:
        _report_decoder = msgspec.json.Decoder(Report)
    return _report_decoder


def decode_report(data: bytes) -> Report:
    """Decode and validate a report; raises msgspec.ValidationError naming the bad field."""
    return report_decoder().decode(data)


def schema_text() -> str:
    """Return the JSON Schema as the text committed in schema/report.schema.json."""
    import json

    def canonical(node):
        # anyOf order differs between msgspec releases; sort it so the file is stable.
        if isinstance(node, dict):
            out = {k: canonical(v) for k, v in node.items()}
            if isinstance(out.get("anyOf"), list):
                out["anyOf"] = sorted(out["anyOf"], key=lambda x: json.dumps(x, sort_keys=True))
            return out
        if isinstance(node, list):
            return [canonical(v) for v in node]
        return node

    text = json.dumps(canonical(json_schema()), indent=2, sort_keys=True, ensure_ascii=False)
    return text + "\n"


def json_schema() -> dict:
    """Return the JSON Schema of the wire format (reports and enrollment)."""
    _, components = msgspec.json.schema_components(
        (Report, EnrollRequest, EnrollResponse, ReportResponse),
        ref_template="#/$defs/{name}",
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://kiemke.example/schema/report.schema.json",
        "title": "Kiemke agent report",
        "description": f"Kiemke wire format, schema_version {SCHEMA_VERSION}.",
        "$ref": "#/$defs/Report",
        "$defs": components,
    }


if __name__ == "__main__":
    import sys

    sys.stdout.write(schema_text())
