"""Translation hook for compliance messages: the server's ``_()`` when present, else identity."""

from __future__ import annotations

try:  # the server package provides gettext; the engine also runs without it (bench, pack CLI)
    from inventory_server.i18n import _
except ImportError:  # pragma: no cover - depends on what else is installed

    def _(message: str) -> str:
        """Return ``message`` untranslated."""
        return message


__all__ = ["_"]
