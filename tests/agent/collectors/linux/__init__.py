"""Tests for agent/collectors/linux."""
