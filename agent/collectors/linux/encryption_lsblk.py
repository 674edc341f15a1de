"""Disk encryption on Linux: is the root file system on a LUKS/dm-crypt device (``lsblk -J``)."""

from typing import List, Optional

import msgspec

from agent.schema import EncryptedVolume, Encryption

CATEGORY = "security.encryption"

LSBLK_ARGV = ["lsblk", "-J", "-o", "NAME,TYPE,FSTYPE,MOUNTPOINT"]


def is_enabled(ctx) -> bool:
    """Enabled where lsblk exists."""
    return bool(ctx.which("lsblk"))


def _walk(node, chain, out):
    chain = [*chain, node]
    mp = node.get("mountpoint")
    mps = [mp] if mp else [m for m in (node.get("mountpoints") or []) if m]
    for m in mps:
        out.append((m, chain))
    for child in node.get("children") or []:
        _walk(child, chain, out)


def parse_lsblk(text: str) -> Encryption:
    """Decide per mounted volume whether a crypt layer sits between it and the disk."""
    data = msgspec.json.decode(text or "{}")  # msgspec is loaded already; json is not
    mounts: List = []
    for dev in data.get("blockdevices") or []:
        _walk(dev, [], mounts)
    volumes = []
    root: Optional[bool] = None
    for mountpoint, chain in mounts:
        if mountpoint.startswith("[") or mountpoint in ("/boot", "/boot/efi"):
            continue  # [SWAP] and the unencrypted boot partition a LUKS system needs
        crypt = any(
            n.get("type") == "crypt" or (n.get("fstype") or "") == "crypto_LUKS" for n in chain
        )
        method = "luks" if crypt else None
        volumes.append(EncryptedVolume(mountpoint=mountpoint, encrypted=crypt, method=method))
        if mountpoint == "/":
            root = crypt
    return Encryption(root_encrypted=root, volumes=volumes)


def collect(ctx) -> Encryption:
    """Ask lsblk for the block-device tree."""
    return parse_lsblk(ctx.run(LSBLK_ARGV, timeout=10))
