"""python -m sandbox --host 127.0.0.1 --port 8001 --state var/sandbox.sqlite3 --seed 42"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from sandbox import catalog, cloud, seed
from sandbox.app import App
from sandbox.seed import parse_epoch
from sandbox.server import SandboxServer
from sandbox.store import Store


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m sandbox", description="IoT cloud + WeChat API sandbox")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8001, help="0 binds a free port")
    p.add_argument(
        "--state",
        default="var/sandbox.sqlite3",
        help="SQLite state file (a pristine copy sits at <state>.seed)",
    )
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--homes", type=int, default=60)
    p.add_argument("--devices-per-home", type=int, default=3)
    p.add_argument("--orders", type=int, default=3000)
    p.add_argument("--subscriptions", type=int, default=400)
    p.add_argument(
        "--drift",
        type=float,
        default=0.05,
        help="share of VoIP devices where WeChat disagrees with the cloud",
    )
    p.add_argument(
        "--epoch", default=None, help="YYYY-MM-DD the seeded history ends at (default: today, UTC)"
    )
    p.add_argument("--payment-delay", type=float, default=2.0, help="seconds before a purchase turns paid")
    p.add_argument("--client-id", default=catalog.DEFAULT_CLIENT_ID)
    p.add_argument("--client-secret", default=catalog.DEFAULT_CLIENT_SECRET)
    p.add_argument("--reseed", action="store_true", help="seed again even if the state holds the same world")
    p.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="sandbox: %(message)s")

    def say(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    store = Store(args.state)
    params = {
        "seed": args.seed,
        "homes": args.homes,
        "devices_per_home": args.devices_per_home,
        "orders": args.orders,
        "subscriptions": args.subscriptions,
        "drift": args.drift,
        "epoch": parse_epoch(args.epoch),
    }
    if args.reseed:
        for path in (store.path, store.seed_path):
            if path.exists():
                path.unlink()
    store.ensure_world(params, say, seed.seed_world)
    store.open()
    app = App(store, args.client_id, args.client_secret, args.payment_delay)
    server = SandboxServer((args.host, args.port), app, verbose=args.verbose)
    host, port = server.server_address[:2]
    print(f"listening on http://{host}:{port}", flush=True)
    app.start_background(cloud.complete_payment)

    def stop(*_: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        app.stop()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
