"""CSV and XLSX exports of lists: UTF-8 CSV with a BOM (Excel shows Vietnamese), typed XLSX."""

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from flask import Response

FORMATS = ("csv", "xlsx")
"""Export formats every list offers."""

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportError(ValueError):
    """The export was asked in an unknown format."""


def _cell(value: Any) -> Any:
    """Return a value XLSX can store with its own type (numbers, dates, booleans, text)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dt.datetime):
        # Excel has no time zones: store UTC wall time without tzinfo.
        return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        return parsed.astimezone(dt.UTC).replace(tzinfo=None) if parsed.tzinfo else parsed
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""Text starting with these is run as a formula by spreadsheets (CSV injection, OWASP)."""


def _csv_text(value: str) -> str:
    """Defuse text a spreadsheet would run as a formula (hostnames come from agents)."""
    return "'" + value if value.startswith(FORMULA_START) else value


def to_csv(columns: Sequence[str], headers: Sequence[str], rows: Iterable[dict]) -> bytes:
    """Return CSV bytes: UTF-8 with a BOM, one header line, then one line per row."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        out = []
        for col in columns:
            v = row.get(col)
            if isinstance(v, list | tuple):
                v = ", ".join(str(x) for x in v)
            out.append("" if v is None else _csv_text(v) if isinstance(v, str) else v)
        writer.writerow(out)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(
    columns: Sequence[str], headers: Sequence[str], rows: Iterable[dict], *, title: str = "Kiemke"
) -> bytes:
    """Return an XLSX workbook: bold frozen header, typed cells, dates as dates.

    Written in openpyxl's write-only mode, which streams rows (a normal worksheet recounts its
    rows on every append and takes minutes for thousands of hosts).
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    table = [[_cell(row.get(col)) for col in columns] for row in rows]
    widths = [max(8, len(h)) for h in headers]
    for values in table:
        for i, v in enumerate(values):
            if isinstance(v, dt.datetime):
                widths[i] = max(widths[i], 17)
            elif v is not None:
                widths[i] = max(widths[i], min(60, len(str(v))))
    wb = Workbook(write_only=True)
    # Sheet titles are limited to 31 characters and may not contain []:*?/\
    ws = wb.create_sheet("".join(c for c in title if c not in "[]:*?/\\")[:31] or "Kiemke")
    for i, w in enumerate(widths):
        ws.column_dimensions[get_column_letter(i + 1)].width = w + 2
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for h in headers:
        cell = WriteOnlyCell(ws, value=h)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for values in table:
        out = []
        for v in values:
            cell = WriteOnlyCell(ws, value=v)
            if isinstance(v, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif cell.data_type == "f":
                cell.data_type = "s"  # text from agents starting with "=" stays text
            out.append(cell)
        ws.append(out)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export_response(
    fmt: str,
    name: str,
    columns: Sequence[str],
    rows: Iterable[dict],
    headers: Sequence[str] | None = None,
) -> Response:
    """Return a download of ``rows`` as ``name``.csv or ``name``.xlsx."""
    if fmt not in FORMATS:
        raise ExportError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    headers = list(headers or columns)
    rows = list(rows)
    if fmt == "csv":
        data, mime = to_csv(columns, headers, rows), "text/csv; charset=utf-8"
    else:
        data, mime = to_xlsx(columns, headers, rows, title=name), XLSX_MIME
    filename = f"{name}.{fmt}"
    return Response(
        data,
        mimetype=mime,
        headers={
            "Content-Disposition": f"attachment; filename={quote(filename)}; "
            f"filename*=UTF-8''{quote(filename)}"
        },
    )


def audited_export(
    fmt: str,
    name: str,
    columns: Sequence[str],
    rows: Iterable[dict],
    headers: Sequence[str] | None = None,
) -> Response:
    """Record the export in the audit log (who, what, from where), then return the download."""
    from flask import request

    from inventory_server.app import get_db
    from inventory_server.auth import load_user
    from inventory_server.users.services import audit

    db = get_db()
    audit(
        db,
        user=load_user(),
        action="export",
        target=f"{name}.{fmt}",
        remote_addr=request.remote_addr,
    )
    db.commit()
    return export_response(fmt, name, columns, rows, headers)
