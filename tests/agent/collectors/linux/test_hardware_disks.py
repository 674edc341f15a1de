"""Whole disks from a /sys/block tree."""

from agent.collectors.context import Context
from agent.collectors.linux import hardware_disks


def test_parse_block():
    d = hardware_disks.parse_block("nvme0n1", {
        "size": "1000215216\n", "device/model": "Samsung SSD 980 1TB          \n",
        "device/serial": "S64ANS0T123456\n", "queue/rotational": "0\n", "removable": "0\n",
    })
    assert d.size_bytes == 1000215216 * 512 and d.model == "Samsung SSD 980 1TB"
    assert d.serial == "S64ANS0T123456" and d.rotational is False and d.transport == "nvme"


def test_partitions_loops_and_empty_devices_are_skipped():
    assert hardware_disks.parse_block("loop0", {"size": "100\n"}) is None
    assert hardware_disks.parse_block("sr0", {"size": "100\n"}) is None
    assert hardware_disks.parse_block("sdb", {"size": "0\n"}) is None


def test_collect_tree(make_tree):
    root = make_tree({
        "sys/block/sda/size": "976773168\n", "sys/block/sda/device/model": "ST1000DM010\n",
        "sys/block/sda/device/vendor": "ATA\n", "sys/block/sda/queue/rotational": "1\n",
        "sys/block/sda/removable": "0\n", "sys/block/loop0/size": "8\n",
    })
    (disk,) = hardware_disks.collect(Context(root=root))
    assert disk.name == "sda" and disk.rotational is True and disk.vendor == "ATA"
