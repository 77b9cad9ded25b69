"""CSV downloads: a BOM, the header, every row; formula-like text made inert, numbers left alone."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from voipadmin.core.csvstream import csv_lines, safe_cell


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+86 138 0000", "'+86 138 0000"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTAB", "'\tTAB"),
        ("-0.01", "-0.01"),
        ("+5", "+5"),
        ("门铃 = front door", "门铃 = front door"),
        ("", ""),
        (Decimal("-3.50"), Decimal("-3.50")),
        (None, None),
        (7, 7),
    ],
)
def test_safe_cell(value: object, written: object) -> None:
    assert safe_cell(value) == written


def test_csv_lines_stream_a_bom_the_header_and_the_rows() -> None:
    lines = list(csv_lines(["a", "b"], iter([["=x", 1], ["y", "-2"]])))
    assert lines[0] == "\ufeff" and len(lines) == 4
    assert list(csv.reader(io.StringIO("".join(lines[1:])))) == [["a", "b"], ["'=x", "1"], ["y", "-2"]]
