"""The configuration object: defaults, keyword construction, and a save/load round trip."""

import pytest

from agent.config import AgentConfig, load_config, save_config


def test_defaults_and_keywords():
    cfg = AgentConfig(server_url="https://kiemke.example.gov.vn", retries=2)
    assert cfg.server_url == "https://kiemke.example.gov.vn" and cfg.retries == 2
    assert cfg.interval_seconds == 3600 and cfg.timeout_seconds == 30.0 and cfg.proxy == ""
    assert AgentConfig().retries == 4  # a keyword on one object leaves the defaults alone
    with pytest.raises(TypeError, match="no setting 'retry'"):
        AgentConfig(retry=2)


def test_save_then_load_gives_the_same_settings(tmp_path):
    cfg = AgentConfig(server_url="https://kiemke.example.gov.vn", role="server",
                      timeout_seconds=12.5, spool_max=10, state_dir=str(tmp_path / "state"),
                      path=str(tmp_path / "conf" / "agent.conf"))
    save_config(cfg)
    loaded = load_config(cfg.path)
    assert loaded == cfg, (loaded, cfg)
    assert isinstance(loaded.spool_max, int) and isinstance(loaded.timeout_seconds, float)
    assert loaded != AgentConfig(path=cfg.path)
