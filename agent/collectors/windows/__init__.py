"""Collectors that run on Windows only (through PowerShell, JSON output)."""
