"""Software title keys in Unicode NFC.

A title's ``name_key`` was the reported name in lower case with single spaces. Some input
methods write Vietnamese decomposed (a base letter plus combining marks), so a program named
that way had a key that a search typed composed never matched, and a second title when another
machine reported it composed. Keys are now in NFC (``models.software.name_key``); this revision
re-keys the titles stored before. A decomposed title whose composed key another title already
holds keeps its key (both stay, as before, and new reports go to the composed one).

The downgrade changes nothing: composed keys are what the earlier code gives composed names.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 08:00:00
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_titles = sa.table("software_titles", sa.column("id"), sa.column("name_key"))


def upgrade() -> None:
    conn = op.get_bind()
    keys = dict(conn.execute(sa.select(_titles.c.name_key, _titles.c.id)).all())
    changes = []
    for key, title_id in sorted(keys.items(), key=lambda item: item[1]):
        if key.isascii():
            continue
        composed = unicodedata.normalize("NFC", key)[:512]
        if composed != key and composed not in keys:
            keys[composed] = title_id
            changes.append({"tid": title_id, "key": composed})
    if changes:
        conn.execute(
            _titles.update()
            .where(_titles.c.id == sa.bindparam("tid"))
            .values(name_key=sa.bindparam("key")),
            changes,
        )


def downgrade() -> None:
    pass
