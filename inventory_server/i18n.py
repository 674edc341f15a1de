"""Translations (Vietnamese, English): catalogues read from the .po files in ``translations/``."""

import os
from functools import cache

from babel.messages.pofile import read_po

LANGUAGES = ("vi", "en")
TRANSLATIONS_DIR = os.path.join(os.path.dirname(__file__), "translations")


@cache
def catalog(lang: str) -> dict[str, str]:
    """Return msgid → msgstr for a language (English is the source language)."""
    path = os.path.join(TRANSLATIONS_DIR, f"{lang}.po")
    if lang == "en" or not os.path.exists(path):
        return {}
    with open(path, "rb") as fh:
        cat = read_po(fh, locale=lang)
    return {m.id: m.string for m in cat if m.id and m.string and not m.fuzzy}


def current_language() -> str:
    """Return the language of the current request (``en`` outside a request)."""
    from flask import g, has_request_context

    if has_request_context():
        return getattr(g, "lang", "en")
    return "en"


def gettext(message: str, lang: str | None = None, **values) -> str:
    """Translate ``message`` and interpolate ``%(name)s`` values."""
    text = catalog(lang or current_language()).get(message, message)
    return text % values if values else text


_ = gettext


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now."""
    return message
