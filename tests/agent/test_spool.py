"""The on-disk spool: order, bounds, survival across instances (restarts)."""

from agent.spool import Spool


def test_oldest_first_and_survives_restart(tmp_path):
    s = Spool(str(tmp_path / "spool"), max_items=10)
    for i in range(3):
        s.put(f'{{"n": {i}}}'.encode())
    again = Spool(str(tmp_path / "spool"))  # a new process after a restart
    assert [again.read(p) for p in again.items()] == [b'{"n": 0}', b'{"n": 1}', b'{"n": 2}']


def test_bounded_drops_oldest(tmp_path):
    s = Spool(str(tmp_path / "spool"), max_items=2)
    s.put(b"1")
    s.put(b"2")
    _, dropped = s.put(b"3")
    assert len(dropped) == 1
    assert [s.read(p) for p in s.items()] == [b"2", b"3"]


def test_byte_bound(tmp_path):
    s = Spool(str(tmp_path / "spool"), max_items=100, max_bytes=10)
    s.put(b"123456")
    s.put(b"abcdef")
    assert [s.read(p) for p in s.items()] == [b"abcdef"]


def test_no_partial_files_left(tmp_path):
    s = Spool(str(tmp_path / "spool"))
    path, _ = s.put(b"x")
    s.remove(path)
    assert list((tmp_path / "spool").iterdir()) == []
