"""A bounded on-disk queue of full reports the server could not take, sent oldest first."""

import contextlib
import os
import time
from typing import List, Optional, Tuple


class Spool:
    """Full reports (encoded JSON) under ``state_dir/spool``; at most ``max_items`` are kept."""

    def __init__(self, directory: str, max_items: int = 48, max_bytes: int = 64 * 1024 * 1024):
        self.dir = directory
        self.max_items = max_items
        self.max_bytes = max_bytes
        self._seq = 0

    def items(self) -> List[str]:
        """Return the spooled files, oldest first."""
        try:
            names = [n for n in os.listdir(self.dir) if n.endswith(".json")]
        except OSError:
            return []
        return [os.path.join(self.dir, n) for n in sorted(names)]

    def __len__(self) -> int:
        return len(self.items())

    def put(self, body: bytes) -> Tuple[str, List[str]]:
        """Store a report; return its path and the oldest reports dropped to stay in bounds."""
        os.makedirs(self.dir, mode=0o700, exist_ok=True)
        self._seq += 1
        # Names sort by time: nanoseconds since the epoch, then a counter within this process.
        name = f"{time.time_ns():020d}-{os.getpid():07d}-{self._seq:04d}.json"
        path = os.path.join(self.dir, name)
        tmp = path + ".tmp"
        with open(tmp, "wb") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        return path, self._trim()

    def _trim(self) -> List[str]:
        dropped = []
        items = self.items()
        sizes = {p: _size(p) for p in items}
        total = sum(sizes.values())
        while items and (len(items) > self.max_items or total > self.max_bytes):
            oldest = items.pop(0)
            total -= sizes[oldest]
            try:
                os.remove(oldest)
                dropped.append(oldest)
            except OSError:
                pass
        return dropped

    @staticmethod
    def read(path: str) -> Optional[bytes]:
        """Return a spooled report's bytes, or None when it vanished."""
        try:
            with open(path, "rb") as fh:
                return fh.read()
        except OSError:
            return None

    @staticmethod
    def remove(path: str) -> None:
        """Forget a report once the server took it (or refused it for good)."""
        with contextlib.suppress(OSError):
            os.remove(path)


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
