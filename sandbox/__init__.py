"""Sandbox: a stand-alone HTTP server imitating the IoT cloud (Tuya-OpenAPI style) and the WeChat server APIs.

It is a separate process for development and tests and imports nothing from the dashboard.
See docs/sandbox.md.
"""

from __future__ import annotations

__all__: list[str] = []
