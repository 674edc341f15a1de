"""BitLocker state of every volume from Get-BitLockerVolume (needs an elevated agent)."""

from agent.collectors import pwsh
from agent.schema import EncryptedVolume, Encryption

CATEGORY = "security.encryption"

SCRIPT = r"""
$ErrorActionPreference = 'SilentlyContinue'
if (Get-Command Get-BitLockerVolume) {
  $v = Get-BitLockerVolume | Select-Object MountPoint,
    @{n='VolumeType';e={[string]$_.VolumeType}},
    @{n='VolumeStatus';e={[string]$_.VolumeStatus}},
    @{n='ProtectionStatus';e={[string]$_.ProtectionStatus}},
    @{n='EncryptionMethod';e={[string]$_.EncryptionMethod}}, EncryptionPercentage
  ConvertTo-Json -InputObject @($v) -Compress
}
"""


def is_enabled(ctx) -> bool:
    """Enabled on Windows."""
    return ctx.platform == "win32"


def parse_bitlocker(text: str) -> Encryption:
    """The system volume counts as encrypted when fully encrypted with protection on."""
    volumes = []
    root = None
    for v in pwsh.as_list(pwsh.loads(text)):
        mount = pwsh.text(v.get("MountPoint"))
        if not mount:
            continue
        status = (pwsh.text(v.get("VolumeStatus")) or "").lower()
        protection = (pwsh.text(v.get("ProtectionStatus")) or "").lower() == "on"
        encrypted = status == "fullyencrypted"
        volumes.append(EncryptedVolume(
            mountpoint=mount, encrypted=encrypted, protection_on=protection,
            method="bitlocker" if status not in ("fullydecrypted", "") else None,
        ))
        if (pwsh.text(v.get("VolumeType")) or "").lower() == "operatingsystem":
            root = encrypted and protection
    return Encryption(root_encrypted=root, volumes=volumes)


def collect(ctx) -> Encryption:
    """Ask BitLocker through PowerShell."""
    return parse_bitlocker(ctx.powershell(SCRIPT, timeout=60))
