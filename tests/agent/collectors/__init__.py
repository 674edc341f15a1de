"""Tests for agent/collectors."""
