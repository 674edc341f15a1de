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
    """Return the language of the current request (``en`` outside a request).

    ``?lang=``, else the ``lang`` cookie, else the best of Accept-Language, else the server's
    DEFAULT_LANGUAGE; worked out on first use in a request and kept for the rest of it.
    """
    from flask import current_app, g, has_request_context, request

    if not has_request_context():
        return "en"
    lang = g.get("lang")
    if lang is None:
        lang = request.args.get("lang") or request.cookies.get("lang")
        if lang not in LANGUAGES:
            lang = request.accept_languages.best_match(LANGUAGES) or current_app.config.get(
                "DEFAULT_LANGUAGE", "en"
            )
        g.lang = lang
    return lang


def gettext(message: str, lang: str | None = None, **values) -> str:
    """Translate ``message`` and interpolate ``%(name)s`` values."""
    text = catalog(lang or current_language()).get(message, message)
    return text % values if values else text


_ = gettext


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now."""
    return message
