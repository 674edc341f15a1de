"""Every translatable string in the server has a Vietnamese translation that keeps its fields."""

import os
import re

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from inventory_server.i18n import TRANSLATIONS_DIR, gettext

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KEYWORDS = {"_": None, "gettext": None, "N_": None}
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdr]|\{[a-z_]*(?:!r)?\}")


def _method_map() -> list[tuple[str, str]]:
    """Read babel.cfg's [method: pattern] sections (the same file pybabel extract uses)."""
    pairs = []
    with open(os.path.join(ROOT, "babel.cfg"), encoding="utf-8") as fh:
        for line in fh:
            m = re.match(r"\[(\w+):\s*(.+)\]", line.strip())
            if m:
                pairs.append((m.group(2), m.group(1)))
    return pairs


def extracted() -> dict[str, str]:
    """Return msgid → 'file:line' for every string marked in Python code and templates."""
    out = {}
    for filename, lineno, message, _c, _ctx in extract_from_dir(
        ROOT, method_map=_method_map(), keywords=KEYWORDS
    ):
        if isinstance(message, tuple):
            message = message[0]
        if message:
            out.setdefault(message, f"{filename}:{lineno}")
    return out


def vi_catalog():
    """Parse vi.po with Babel, as the server does."""
    with open(os.path.join(TRANSLATIONS_DIR, "vi.po"), "rb") as fh:
        return read_po(fh, locale="vi")


def test_extraction_covers_python_and_templates():
    msgs = extracted()
    places = set(msgs.values())
    assert any(p.startswith("inventory_server/web/templates/") for p in places)
    assert any(p.startswith("inventory_server/errors.py") for p in places)
    assert "Wrong user name or password" in msgs  # web/views.py
    assert "Skip to content" in msgs  # base.html
    assert "Parameter %(name)s must be an integer" in msgs  # hosts/api.py


def test_every_message_has_a_vietnamese_translation():
    cat = vi_catalog()
    translated = {m.id: m.string for m in cat if m.id and m.string and not m.fuzzy}
    missing = sorted(
        f"{where}: {msg!r}" for msg, where in extracted().items() if msg not in translated
    )
    assert not missing, "untranslated in vi.po:\n" + "\n".join(missing)


def test_translations_keep_placeholders_and_use_vietnamese_letters():
    cat = vi_catalog()
    wrong = []
    for m in cat:
        if not m.id or not m.string:
            continue
        if sorted(PLACEHOLDER.findall(m.id)) != sorted(PLACEHOLDER.findall(m.string)):
            wrong.append(f"placeholders differ: {m.id!r} → {m.string!r}")
    assert not wrong, "\n".join(wrong)
    # Real Vietnamese, with its diacritics, not ASCII stand-ins.
    assert cat["Wrong user name or password"].string == "Sai tên đăng nhập hoặc mật khẩu"
    assert gettext("Hosts", lang="vi") == "Máy tính"
    assert gettext("No host with id %(id)s", lang="vi", id=7) == "Không có máy với id 7"
    assert gettext("Hosts", lang="en") == "Hosts"
