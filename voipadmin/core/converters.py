"""The one path converter for ids in URLs: what the cloud's ids are made of, and nothing else.

A path id that is not made of letters, digits and ``- _ . :`` (at most 64) matches no URL, so it is a 404 before
any query runs: a NUL byte, a slash or a space never reaches the database.
"""

from __future__ import annotations

from django.urls import register_converter


class CloudIdConverter:
    regex = r"[A-Za-z0-9_.:\-]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CloudIdConverter, "id")
