"""HTTP server and routing: cloud (/v1.0), WeChat (/cgi-bin, /wxa) and /_control on a ThreadingHTTPServer."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import secrets
import socket
import struct
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sandbox import cloud, control, wechat
from sandbox.app import App
from sandbox.cloud_auth import TOKEN_TTL_S, uid_for, verify
from sandbox.errors import CloudError, ControlError, WeChatError
from sandbox.faults import WRITES
from sandbox.quirks import corrupt
from sandbox.store import now_ms

log = logging.getLogger("sandbox")

SDK_PREFIX = "/v1.0/vas/voip/"
EXT_PREFIX = "/v1.0/vas/voip/ext/"
MAX_BODY = 1 << 20
# What ``answer_false`` makes a call answer: the cloud's "no" without an error code.
FALSE_ANSWERS: dict[str, Any] = {
    "saveWXVoipAuth": False,
    "saveVoipAuthUser": False,
    "exchangeCode": {"success": False},
}


def _envelope_ok(result: Any) -> dict:
    return {"success": True, "result": result, "t": now_ms(), "tid": secrets.token_hex(16)}


def _envelope_err(code: int, msg: str) -> dict:
    return {"success": False, "code": code, "msg": msg, "t": now_ms(), "tid": secrets.token_hex(16)}


def _rid() -> str:
    return f"{secrets.token_hex(4)}-{secrets.token_hex(4)}-{secrets.token_hex(4)}"


def _wx_error(errcode: int, errmsg: str) -> dict:
    return {"errcode": errcode, "errmsg": f"{errmsg} rid: {_rid()}"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "voipadmin-sandbox/1"
    disable_nagle_algorithm = True
    server: SandboxServer

    # -- plumbing --------------------------------------------------------------------------------------------
    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        # Headers and body in one write (no Nagle / delayed-ACK stall on keep-alive connections).
        self._headers_buffer.append(b"\r\n" + data)
        self.flush_headers()

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise CloudError(1109, "param is illegal: body too large")
        return self.rfile.read(length) if length else b""

    @property
    def app(self) -> App:
        return self.server.app

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        try:
            body = self._body()
        except CloudError as exc:
            self._send(413, _envelope_err(exc.code, exc.msg))
            return
        try:
            if path.startswith("/_control/"):
                self._control(method, path[len("/_control/") :], body)
            elif path.startswith("/v1.0/"):
                self._cloud(method, path, parts.query, body)
            elif path in ("/cgi-bin/token", "/cgi-bin/stable_token", "/wxa/getsnticket") or path.startswith(
                "/wxa/business/"
            ):
                self._wechat(method, path, parts.query, body)
            else:
                self._send(404, {"error": "not found", "path": path})
        except BrokenPipeError:
            pass
        except Exception:
            log.exception("unhandled error on %s %s", method, self.path)
            self._send(500, _envelope_err(500, "system error"))

    # -- faults ----------------------------------------------------------------------------------------------
    def _delay(self) -> None:
        latency = self.app.faults.get("latency_ms")
        if latency:
            time.sleep(latency / 1000)

    def _maybe_timeout(self, call: str, params: Any) -> None:
        if self.app.faults.roll("timeout_rate", call, params):
            time.sleep((self.app.faults.get("timeout_ms") or 0) / 1000)

    def _maybe_malformed(self, result: Any, call: str, params: Any) -> tuple[Any, dict[str, str]]:
        if not self.app.faults.roll("malformed_rate", call, params):
            return result, {}
        result, field = corrupt(result, self.app.faults.rng)
        return result, ({"X-Sandbox-Malformed": field} if field else {})

    def _reset_connection(self) -> None:
        """Drop the connection with a TCP reset and no answer (the write was applied all the same)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()

    # -- cloud -----------------------------------------------------------------------------------------------
    def _cloud(self, method: str, path: str, query: str, body: bytes) -> None:
        app = self.app
        try:
            if path == "/v1.0/token" or path.startswith("/v1.0/token/"):
                self._cloud_token(method, path, query, body)
                return
            self._delay()
            verify(self.headers, method, self.path, body, app.client_id, app.client_secret, app.cloud_tokens)
            if not app.faults.cloud_admit(app.client_id):
                raise CloudError(1199, "your requests are too frequent")
            if not path.startswith(SDK_PREFIX):
                raise CloudError(1106, "permission deny")
            if path.startswith(EXT_PREFIX):
                handler = cloud.EXTENSIONS.get(path[len(EXT_PREFIX) :])
            else:
                handler = cloud.SDK.get(path[len(SDK_PREFIX) :])
            if handler is None or method != "POST":
                raise CloudError(1108, "uri path invalid")
            try:
                params = json.loads(body or b"{}")
            except ValueError:
                raise CloudError(1109, "param is illegal: body is not JSON") from None
            if not isinstance(params, dict):
                raise CloudError(1109, "param is illegal: body must be a JSON object")
            call = path[len(SDK_PREFIX) :]
            faults = app.faults
            if faults.roll("error_rate", call, params):  # before the handler: nothing is applied
                if faults.rng.random() < 0.5:
                    self._send(500, _envelope_err(500, "system error"))
                else:
                    self._send(503, _envelope_err(1111, "system busy"))
                return
            self._maybe_timeout(call, params)
            if (code := faults.refusal(call, params)) is not None:
                raise CloudError(code, "refused (sandbox fault)")
            if call in FALSE_ANSWERS and faults.roll("answer_false", call, params):
                self._send(200, _envelope_ok(FALSE_ANSWERS[call]))  # the cloud said no; nothing changed
                return
            result = handler(app, params)
            if call in WRITES:
                faults.count_write(call)
                after = faults.after_write(call, params)
                if after == "5xx":
                    self._send(500, _envelope_err(500, "system error"))
                    return
                if after == "reset":
                    self._reset_connection()
                    return
            result, extra = self._maybe_malformed(result, call, params)
            self._send(200, _envelope_ok(result), extra)
        except CloudError as exc:
            self._send(exc.http_status, _envelope_err(exc.code, exc.msg))

    def _cloud_token(self, method: str, path: str, query: str, body: bytes) -> None:
        app = self.app
        if method != "GET":
            raise CloudError(1108, "uri path invalid")
        verify(self.headers, method, self.path, body, app.client_id, app.client_secret, None)
        if path == "/v1.0/token":
            params = dict(parse_qsl(query))
            if params.get("grant_type") != "1":
                raise CloudError(1003, "invalid grant type")
            tok = app.cloud_tokens.grant(app.client_id)
        else:
            tok = app.cloud_tokens.refresh(app.client_id, path[len("/v1.0/token/") :])
        result = {
            "access_token": tok.access,
            "refresh_token": tok.refresh,
            "expire_time": TOKEN_TTL_S,
            "uid": uid_for(app.client_id),
        }
        self._send(200, _envelope_ok(result))

    # -- WeChat ----------------------------------------------------------------------------------------------
    def _wechat(self, method: str, path: str, query: str, body: bytes) -> None:
        app = self.app
        q = dict(parse_qsl(query))
        try:
            if path == "/cgi-bin/token":
                if method != "GET":
                    raise WeChatError(43001, "require GET method")
                self._send(200, app.wechat.token(q))
                return
            if method != "POST":
                raise WeChatError(43002, "require POST method")
            try:
                data = json.loads(body or b"{}")
            except ValueError:
                raise WeChatError(47001, "data format error") from None
            if not isinstance(data, dict):
                raise WeChatError(47001, "data format error")
            if path == "/cgi-bin/stable_token":
                self._send(200, app.wechat.stable_token(data))
                return
            self._delay()
            app_id = app.wechat.check(q.get("access_token"))
            call = path.rsplit("/", 1)[-1]
            if app.faults.roll("error_rate", call, data):
                raise WeChatError(-1, "system error")
            self._maybe_timeout(call, data)
            if path == "/wxa/getsnticket":
                result = app.wechat.getsnticket(app_id, data)
            elif path == "/wxa/business/voip/getIotBindContactList":
                result = wechat.observe(app, app_id, data)
            else:
                self._send(404, {"errcode": 404, "errmsg": f"not found rid: {_rid()}"})
                return
            result, extra = self._maybe_malformed(result, call, data)
            self._send(200, result, extra)
        except WeChatError as exc:
            self._send(200, _wx_error(exc.errcode, exc.errmsg))

    # -- control ---------------------------------------------------------------------------------------------
    def _control(self, method: str, sub: str, body: bytes) -> None:
        host = self.client_address[0]
        try:
            ip = ipaddress.ip_address(host.split("%")[0])
            mapped = getattr(ip, "ipv4_mapped", None)
            loopback = ip.is_loopback or bool(mapped and mapped.is_loopback)
        except ValueError:
            loopback = False
        if not loopback:
            self._send(403, {"error": "control endpoints answer loopback clients only"})
            return
        handler = control.ROUTES.get((method, sub.rstrip("/")))
        if handler is None:
            self._send(404, {"error": f"no control route {method} /_control/{sub}"})
            return
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            self._send(400, {"error": "body is not JSON"})
            return
        try:
            self._send(200, handler(self.app, payload))
        except ControlError as exc:
            self._send(exc.status, {"error": exc.message})


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: App, verbose: bool = False) -> None:
        super().__init__(address, Handler)
        self.app = app
        self.verbose = verbose

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that drop a keep-alive connection are normal; log anything else."""
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)
