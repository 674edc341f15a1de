"""Agent configuration: an INI file (``[agent]`` section) with sensible defaults per platform."""

import os
import sys
from typing import Optional


def default_config_path() -> str:
    """Return the platform's default configuration file path."""
    if sys.platform == "win32":
        base = os.environ.get("PROGRAMDATA", r"C:\ProgramData")
        return os.path.join(base, "Kiemke", "agent.conf")
    if os.geteuid() == 0:
        return "/etc/kiemke/agent.conf"
    return os.path.expanduser("~/.config/kiemke/agent.conf")


def default_state_dir() -> str:
    """Return the platform's default state directory (token, digests, spool)."""
    if sys.platform == "win32":
        base = os.environ.get("PROGRAMDATA", r"C:\ProgramData")
        return os.path.join(base, "Kiemke", "state")
    if os.geteuid() == 0:
        return "/var/lib/kiemke-agent"
    return os.path.expanduser("~/.local/state/kiemke-agent")


class AgentConfig:
    """Settings of one agent; every field can be set in the ``[agent]`` section.

    A plain class rather than a dataclass: ``dataclasses`` imports ``inspect`` (with ``ast``,
    ``dis`` and ``tokenize``), several milliseconds of every start of the agent. The annotated
    class attributes are the fields and their defaults (all immutable).
    """

    server_url: str = ""
    state_dir: str = ""
    ca_file: str = ""
    role: str = ""
    interval_seconds: int = 3600
    jitter_seconds: int = 300
    full_every: int = 24
    timeout_seconds: float = 30.0
    pin_sha256: str = ""
    retries: int = 4
    retry_base_seconds: float = 2.0
    spool_max: int = 48
    proxy: str = ""
    path: str = ""

    def __init__(self, **values):
        for name, value in values.items():
            if name not in _FIELD_TYPES:
                raise TypeError(f"AgentConfig has no setting {name!r}")
            setattr(self, name, value)

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in _FIELD_TYPES)
        return f"AgentConfig({values})"

    def __eq__(self, other) -> bool:
        if not isinstance(other, AgentConfig):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in _FIELD_TYPES)

    def validate(self) -> None:
        """Raise ValueError naming the first bad setting."""
        if self.role not in ("", "workstation", "server"):
            raise ValueError(f"role must be workstation or server, not {self.role!r}")
        if self.server_url and not self.server_url.startswith(("http://", "https://")):
            raise ValueError(f"server_url must start with http:// or https://: {self.server_url!r}")
        if self.interval_seconds < 60:
            raise ValueError("interval_seconds must be at least 60")
        if self.full_every < 1:
            raise ValueError("full_every must be at least 1")
        if self.jitter_seconds < 0:
            raise ValueError("jitter_seconds must not be negative")
        if self.retries < 1:
            raise ValueError("retries must be at least 1")
        if self.retry_base_seconds < 0:
            raise ValueError("retry_base_seconds must not be negative")
        if self.spool_max < 1:
            raise ValueError("spool_max must be at least 1")
        if self.timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        if self.pin_sha256:
            from agent.transport import normalise_pin

            normalise_pin(self.pin_sha256)


_FIELD_TYPES = dict(AgentConfig.__annotations__)  # name -> type, in declaration order


def load_config(path: Optional[str] = None) -> AgentConfig:
    """Read the configuration file (missing is fine: defaults apply)."""
    path = path or default_config_path()
    cfg = AgentConfig(path=path)
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        text = ""
    values = {}
    if text:
        import configparser  # only when there is a file: ``show`` often runs without one

        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(text, source=path)
        except configparser.Error as exc:
            raise ValueError(f"{path}: not a valid configuration file: {exc}") from exc
        if parser.has_section("agent"):
            values = dict(parser.items("agent"))
    for name, type_ in _FIELD_TYPES.items():
        if name == "path" or name not in values:
            continue
        raw = values[name].strip()
        try:
            value = type_(raw) if type_ in (int, float) else raw
        except ValueError as exc:
            raise ValueError(f"{path}: [agent] {name}: not a number: {raw!r}") from exc
        setattr(cfg, name, value)
    if not cfg.state_dir:
        cfg.state_dir = os.path.join(os.path.dirname(os.path.abspath(path)), "state") if (
            path != default_config_path()
        ) else default_state_dir()
    cfg.validate()
    return cfg


def save_config(cfg: AgentConfig) -> None:
    """Write the configuration file (creating its directory)."""
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    parser["agent"] = {name: str(getattr(cfg, name)) for name in _FIELD_TYPES if name != "path"}
    os.makedirs(os.path.dirname(os.path.abspath(cfg.path)), exist_ok=True)
    with open(cfg.path, "w", encoding="utf-8") as fh:
        parser.write(fh)
