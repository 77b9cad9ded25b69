"""CSV downloads, streamed: a BOM and a header, then rows as they come, so a million rows never sit in memory.

Text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return; names and error details come from the cloud and its users) are written with a leading
``'``, as OWASP advises; numbers, including negative ones, are written as they are.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose write returns the line, so csv.writer feeds the streaming response."""

    def write(self, value: str) -> str:
        return value


def safe_cell(value: Any) -> Any:
    """The value, with a text that a spreadsheet would take for a formula made inert."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    try:
        Decimal(value)
    except InvalidOperation:
        return "'" + value
    return value  # a number such as -0.01


def csv_lines(header: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # a BOM, so spreadsheet programs read the Chinese names as UTF-8
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([safe_cell(v) for v in row])


def csv_response(lines: Iterator[str], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
