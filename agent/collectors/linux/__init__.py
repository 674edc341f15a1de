"""Collectors that run on Linux only."""
