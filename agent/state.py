"""The agent's state directory: its host token (mode 0600) and what it last sent."""

import os
from typing import Dict, Optional


class State:
    """Token, host id, last accepted digests and the run counter, kept under ``state_dir``."""

    def __init__(self, state_dir: str):
        self.dir = state_dir
        self.token_path = os.path.join(state_dir, "token")
        self.state_path = os.path.join(state_dir, "state.json")
        self.data: Dict = {}
        import json  # not needed by ``show``; imported on use

        try:
            with open(self.state_path, encoding="utf-8") as fh:
                self.data = json.load(fh)
        except (OSError, ValueError):
            self.data = {}

    def _ensure_dir(self):
        os.makedirs(self.dir, mode=0o700, exist_ok=True)

    @property
    def token(self) -> Optional[str]:
        """The host token, or None when not enrolled."""
        try:
            with open(self.token_path, encoding="utf-8") as fh:
                return fh.read().strip() or None
        except OSError:
            return None

    def save_token(self, token: str) -> None:
        """Store the token readable by the owner only."""
        self._ensure_dir()
        tmp = self.token_path + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(token + "\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.token_path)

    def save(self) -> None:
        """Write state.json atomically."""
        import json

        self._ensure_dir()
        tmp = self.state_path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(self.data, fh, indent=1, sort_keys=True)
        os.replace(tmp, self.state_path)
