"""Error types raised by route handlers and turned into wire answers by the server."""

from __future__ import annotations


class CloudError(Exception):
    """A Tuya-style failure envelope {"success": false, "code", "msg"}."""

    def __init__(self, code: int, msg: str, http_status: int = 200) -> None:
        super().__init__(f"{code} {msg}")
        self.code = code
        self.msg = msg
        self.http_status = http_status


class WeChatError(Exception):
    """A WeChat failure body {"errcode", "errmsg": "... rid: xxx"} (HTTP 200)."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"{errcode} {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


PARAM_ILLEGAL = 1109
DEVICE_NOT_EXIST = 40000901
NO_VOIP_CAPABILITY = 40000903


def param_error(detail: str) -> CloudError:
    return CloudError(PARAM_ILLEGAL, f"param is illegal: {detail}")
