"""Inventory resource."""
