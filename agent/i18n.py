"""Translation of the agent's user-facing messages (gettext domain ``kiemke-agent``).

Messages are written in English and wrapped in ``_()`` so that catalogues under
``agent/locale/<lang>/LC_MESSAGES/kiemke-agent.mo`` translate them; without a catalogue the
English text is shown. The language follows LANGUAGE/LC_ALL/LC_MESSAGES/LANG.
"""

import gettext
import os

_translation = gettext.translation(
    "kiemke-agent", localedir=os.path.join(os.path.dirname(__file__), "locale"), fallback=True
)


def _(message: str) -> str:
    """Return ``message`` translated into the user's language, if a catalogue has it."""
    return _translation.gettext(message)
