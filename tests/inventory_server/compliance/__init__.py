"""Tests of the compliance engine, packs and server integration."""
