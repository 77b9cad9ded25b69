"""A named corpus of hostile inputs: what people and attackers type into ids, pages, dates, codes and searches.

Each base value is named by what it is; each also goes in a few disguises (padded, with a NUL byte, doubled,
upper-cased), because a parser that takes the value may still choke on its neighbour.
"""

from __future__ import annotations

BASE: dict[str, str] = {
    # numbers that are not numbers to int(), or too big for a column
    "superscript two": "²",
    "circled one": "①",
    "arabic-indic three": "٣",
    "full-width twelve": "１２",
    "float overflow": "1e309",
    "negative zero": "-0",
    "plus one": "+1",
    "hex": "0x1F",
    "underscored": "1_000",
    "nan": "NaN",
    "infinity": "inf",
    "minus infinity": "-inf",
    "twenty nines": "9" * 20,
    "minus twenty nines": "-" + "9" * 20,
    "int32 overflow": "2147483648",
    "int64 overflow": "9223372036854775808",
    "decimal": "1.5",
    "comma": ",",
    "empty": "",
    "blank": " ",
    # dates at and past the ends of the calendar, and not dates at all
    "last day": "9999-12-31",
    "first day": "0001-01-01",
    "february thirtieth": "2024-02-30",
    "thirteenth month": "2024-13-01",
    "month zero": "2024-00-10",
    "five-digit year": "10000-01-01",
    "negative year": "-2024-01-01",
    "slashes": "2024/01/01",
    "day first": "01-01-2024",
    "single digits": "2024-1-1",
    "a word": "today",
    "a datetime": "1970-01-01T00:00:00",
    "hour 25": "2024-01-01T25:00",
    "full-width date": "２０２４-０１-０１",
    # ids with bytes no id has
    "nul": "\x00",
    "nul inside": "a\x00b",
    "path traversal": "../../etc/passwd",
    "dot dot": "..",
    "dot": ".",
    "device name": "CON",
    "sixty-five": "a" * 65,
    "ten thousand": "a" * 10000,
    "emoji": "😀",
    "right-to-left override": "\u202e",
    "byte order mark": "\ufeff",
    "zero-width space": "\u200b",
    "combining marks": "e\u0301\u0301\u0301",
    "dotted capital i": "İ",
    "ligature": "ﬀ",
    "latin-1 byte": "\xff",
    # injection
    "sql or": "' OR 1=1 --",
    "sql drop": '"; DROP TABLE devices_device; --',
    "sql union": "' UNION SELECT password FROM auth_user --",
    "like wildcard": "%",
    "like underscore": "_",
    "backslash": "\\",
    "double percent": "%%",
    "percent-encoded nul": "%00",
    "script tag": "<script>alert(1)</script>",
    "attribute break": '"><img src=x onerror=alert(1)>',
    "javascript url": "javascript:alert(1)",
    "template braces": "{{ 7*7 }}",
    "template tag": "{% debug %}",
    "shell expansion": "${7*7}",
    "format string": "%(secret)s %s %d",
    "json": '{"a": [1, 2]}',
    "crlf": "\r\nSet-Cookie: x=1",
    "newline": "\n",
    "tab": "\t",
    "vertical tab": "\x0b",
    # codes and cursors from nowhere
    "base64 junk": "eyJhIjoxfQ",
    "bangs": "!!!",
    "signed junk": "a:b:c",
    "csv upper": "CSV",
    "xlsx": "xlsx",
    "status list": "paid,refunded",
    "status upper": "PAID",
    "minus one": "-1",
    "unknown word": "unknown",
    "long search": "x" * 5000,
    "chinese name": "张伟的家",
    "mixed script": "门口门铃 Front door",
}

DISGUISES = {
    "as is": lambda v: v,
    "padded": lambda v: f"  {v}  ",
    "with a nul": lambda v: v + "\x00",
    "doubled": lambda v: v + v,
    "upper": lambda v: v.upper(),
}

CORPUS: list[tuple[str, str]] = []
_seen: set[str] = set()
for _label, _value in BASE.items():
    for _how, _make in DISGUISES.items():
        _made = _make(_value)
        if _made in _seen:  # "upper" of a value without letters is the value again
            continue
        _seen.add(_made)
        CORPUS.append((f"{_label} ({_how})", _made))
