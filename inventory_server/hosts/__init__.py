"""Hosts resource."""
