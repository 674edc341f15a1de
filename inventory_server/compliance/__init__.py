"""Compliance: YAML policy packs, validated on load, evaluated on the server against host facts."""
