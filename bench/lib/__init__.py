"""Shared helpers of the benchmarks: real package lists, report builders, PostgreSQL, server."""
