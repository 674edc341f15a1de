"""CSV and XLSX helpers: BOM and Vietnamese text in CSV, typed cells and safe titles in XLSX."""

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from inventory_server.exports import ExportError, export_response, to_csv, to_xlsx

COLS = ["name", "count", "when", "tags"]
ROWS = [
    {
        "name": "Phòng Tài vụ – Sở Tài chính",
        "count": 1234,
        "when": "2026-11-20T08:00:00Z",
        "tags": ["a", "b"],
    },
    {"name": "Ủy ban nhân dân", "count": None, "when": None, "tags": []},
]


def test_csv_has_bom_header_and_unicode():
    data = to_csv(COLS, ["Tên", "Số", "Lúc", "Nhãn"], ROWS)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [
        ["Tên", "Số", "Lúc", "Nhãn"],
        ["Phòng Tài vụ – Sở Tài chính", "1234", "2026-11-20T08:00:00Z", "a, b"],
        ["Ủy ban nhân dân", "", "", ""],
    ]


def test_xlsx_keeps_types():
    ws = load_workbook(io.BytesIO(to_xlsx(COLS, COLS, ROWS, title="Máy: tính/2026?"))).active
    assert ws.title == "Máy tính2026"
    assert ws["A2"].value == "Phòng Tài vụ – Sở Tài chính"
    assert ws["B2"].value == 1234 and ws["B3"].value is None
    assert ws["C2"].value == dt.datetime(2026, 11, 20, 8, 0) and ws["C2"].is_date
    assert ws["D2"].value == "a, b"
    assert ws.freeze_panes == "A2" and ws["A1"].font.bold


def test_unknown_format_is_refused_by_name():
    with pytest.raises(ExportError, match="format must be one of csv, xlsx, not 'pdf'"):
        export_response("pdf", "hosts", COLS, ROWS)


def test_formulas_from_agents_stay_text():
    evil = [
        {
            "name": '=HYPERLINK("http://x.example","pc")',
            "count": -3,
            "when": None,
            "tags": ["@SUM(A1)"],
        }
    ]
    rows = list(csv.reader(io.StringIO(to_csv(COLS, COLS, evil).decode("utf-8-sig"))))
    assert rows[1] == ['\'=HYPERLINK("http://x.example","pc")', "-3", "", "'@SUM(A1)"]
    ws = load_workbook(io.BytesIO(to_xlsx(COLS, COLS, evil))).active
    assert ws["A2"].data_type == "s" and ws["A2"].value.startswith("=HYPERLINK")
    assert ws["B2"].value == -3
