"""Tests for agent/collectors/windows."""
