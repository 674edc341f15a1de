"""Root file-system encryption from lsblk -J trees."""

from agent.collectors.linux import encryption_lsblk
from tests.agent.helpers import fixture_text


def test_plain_vm():
    enc = encryption_lsblk.parse_lsblk(fixture_text("linux", "lsblk", "vm-plain.json"))
    assert enc.root_encrypted is False


def test_luks_lvm_root_encrypted_data_disk_not():
    enc = encryption_lsblk.parse_lsblk(fixture_text("linux", "lsblk", "luks-lvm.json"))
    assert enc.root_encrypted is True
    vols = {v.mountpoint: v for v in enc.volumes}
    assert vols["/"].method == "luks"
    assert vols["/srv/data"].encrypted is False
    assert "/boot" not in vols and "[SWAP]" not in vols


def test_no_root_mount_is_unknown():
    assert encryption_lsblk.parse_lsblk('{"blockdevices": []}').root_encrypted is None
