"""Enrollment resource."""
