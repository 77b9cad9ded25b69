"""python -m sandbox.load --url http://127.0.0.1:8001 --seconds 5 [--threads 8] [--call getOrderList]

Signed list calls over persistent connections from several threads; prints requests/s.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time
from urllib.parse import urlsplit

from sandbox import catalog, signing


class Conn:
    def __init__(self, url: str, client_id: str, secret: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.client_id, self.secret = client_id, secret
        self.http = http.client.HTTPConnection(self.host, self.port, timeout=30)
        self.token: str | None = None

    def request(self, method: str, path: str, body: object | None = None, token: bool = True) -> dict:
        data = signing.dumps(body) if body is not None else b""
        headers = signing.signed_headers(
            method, path, data, self.client_id, self.secret, self.token if token else None
        )
        self.http.request(method, path, body=data or None, headers=headers)
        resp = self.http.getresponse()
        return json.loads(resp.read())

    def login(self) -> None:
        env = self.request("GET", "/v1.0/token?grant_type=1", token=False)
        if not env.get("success"):
            raise SystemExit(f"token call failed: {env}")
        self.token = env["result"]["access_token"]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m sandbox.load")
    p.add_argument("--url", default="http://127.0.0.1:8001")
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--page-size", type=int, default=20)
    p.add_argument(
        "--call", default="getOrderList", choices=["getOrderList", "getDeviceList", "listDevicesChanged"]
    )
    p.add_argument("--client-id", default=catalog.DEFAULT_CLIENT_ID)
    p.add_argument("--client-secret", default=catalog.DEFAULT_CLIENT_SECRET)
    args = p.parse_args(argv)

    first = Conn(args.url, args.client_id, args.client_secret)
    first.login()
    token = first.token
    malls = first.request("POST", "/v1.0/vas/voip/ext/listMalls", {})["result"]
    mall = next(m for m in malls if m["siteCode"] == "CN" and m.get("catalogCode", "VOIP") == "VOIP")
    homes = first.request("POST", "/v1.0/vas/voip/ext/listHomes", {"pageNo": 1, "pageSize": 50})["result"][
        "data"
    ]

    counts = [0] * args.threads
    errors = [0] * args.threads
    deadline = time.monotonic() + args.seconds

    def worker(k: int) -> None:
        c = Conn(args.url, args.client_id, args.client_secret)
        c.token = token
        n = 0
        while time.monotonic() < deadline:
            if args.call == "getOrderList":
                body = {
                    "mallCode": mall["mallCode"],
                    "siteCode": "CN",
                    "pageNo": 1 + n % 5,
                    "pageSize": args.page_size,
                }
            elif args.call == "getDeviceList":
                body = {"owner_id": homes[n % len(homes)]["ownerId"]}
            else:
                body = {"since": 0, "pageNo": 1 + n % 3, "pageSize": args.page_size}
            path = "/v1.0/vas/voip/" + ("ext/" if args.call.startswith("list") else "") + args.call
            env = c.request("POST", path, body)
            n += 1
            if env.get("success"):
                counts[k] += 1
            else:
                errors[k] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    ok, bad = sum(counts), sum(errors)
    print(
        f"{args.call} pageSize={args.page_size}: {ok} ok, {bad} failed in {elapsed:.1f} s "
        f"-> {ok / elapsed:.0f} requests/s ({args.threads} threads)"
    )
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
