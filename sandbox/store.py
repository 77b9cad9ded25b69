"""SQLite state: schema, per-thread connections, the pristine seed copy and reset."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 4

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE homes (owner_id TEXT PRIMARY KEY, name TEXT NOT NULL, geo_name TEXT NOT NULL,
    site TEXT NOT NULL,
    lang TEXT NOT NULL, gmt_modified INTEGER NOT NULL, seq INTEGER NOT NULL);
CREATE TABLE users (user_id TEXT PRIMARY KEY, user_name TEXT NOT NULL, avatar_url TEXT NOT NULL,
    home_id TEXT NOT NULL,
    seq INTEGER NOT NULL, gmt_modified INTEGER NOT NULL);
CREATE INDEX users_home ON users(home_id);
CREATE INDEX users_modified ON users(gmt_modified);
CREATE TABLE openids (user_id TEXT NOT NULL, app_id TEXT NOT NULL, open_id TEXT NOT NULL,
    PRIMARY KEY (user_id, app_id));
CREATE UNIQUE INDEX openids_open ON openids(open_id);
CREATE TABLE devices (id TEXT PRIMARY KEY, owner_id TEXT NOT NULL, name TEXT NOT NULL, icon TEXT NOT NULL,
    location_name TEXT NOT NULL, types TEXT NOT NULL, uuid TEXT NOT NULL UNIQUE, product TEXT NOT NULL,
    has_voip INTEGER NOT NULL, app_id TEXT, model_id TEXT, auth_user_id TEXT, is_auth INTEGER,
    is_valid INTEGER,
    auth_update_time INTEGER, gmt_modified INTEGER NOT NULL, quirk INTEGER NOT NULL, seq INTEGER NOT NULL);
CREATE INDEX devices_owner ON devices(owner_id, seq);
CREATE INDEX devices_mod ON devices(gmt_modified, id);
CREATE TABLE wx_auth (open_id TEXT NOT NULL, sn TEXT NOT NULL, app_id TEXT NOT NULL, model_id TEXT NOT NULL,
    status INTEGER NOT NULL, updated INTEGER NOT NULL, PRIMARY KEY (open_id, sn));
CREATE INDEX wx_auth_sn ON wx_auth(sn);
CREATE TABLE services (device_id TEXT NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL,
    type INTEGER NOT NULL,
    start_time INTEGER, end_time INTEGER, tags TEXT NOT NULL, is_free INTEGER NOT NULL,
    is_ay INTEGER NOT NULL,
    is_exit INTEGER NOT NULL, is_permanent INTEGER NOT NULL, duration INTEGER, has_purchased INTEGER,
    seq INTEGER NOT NULL, PRIMARY KEY (device_id, code));
CREATE TABLE orders (order_id TEXT PRIMARY KEY, mall_code TEXT NOT NULL, shop_code TEXT NOT NULL,
    site_code TEXT NOT NULL, currency TEXT NOT NULL, status TEXT NOT NULL, order_type_code TEXT NOT NULL,
    trade_type TEXT NOT NULL, amount_origin INTEGER NOT NULL, amount_trade INTEGER NOT NULL,
    quantity INTEGER NOT NULL,
    gmt_create INTEGER NOT NULL, gmt_modified INTEGER NOT NULL, device_id TEXT NOT NULL,
    home_id TEXT NOT NULL,
    uid TEXT NOT NULL, sku_code TEXT NOT NULL, option_no INTEGER NOT NULL, commodity_code TEXT NOT NULL,
    commodity_name TEXT NOT NULL, commodity_type INTEGER NOT NULL, srv_code TEXT NOT NULL,
    period_unit INTEGER NOT NULL,
    period_value INTEGER NOT NULL, after_sale INTEGER NOT NULL, am_order INTEGER NOT NULL,
    quirk INTEGER NOT NULL,
    pay_due INTEGER, open_id TEXT, app_id TEXT);
CREATE INDEX orders_create ON orders(mall_code, site_code, gmt_create, order_id);
CREATE INDEX orders_mod ON orders(mall_code, site_code, gmt_modified, order_id);
CREATE INDEX orders_status ON orders(mall_code, site_code, status, gmt_create);
CREATE INDEX orders_device ON orders(device_id);
CREATE INDEX orders_due ON orders(pay_due) WHERE pay_due IS NOT NULL;
CREATE TABLE subscriptions (subscribe_id TEXT PRIMARY KEY, mall_code TEXT NOT NULL, site_code TEXT NOT NULL,
    status INTEGER NOT NULL, paid_provider INTEGER NOT NULL, regular_interval INTEGER NOT NULL,
    regular_unit INTEGER NOT NULL, gmt_next_time INTEGER NOT NULL, order_id TEXT NOT NULL,
    order_gmt_create INTEGER NOT NULL,
    device_id TEXT NOT NULL, gmt_modified INTEGER NOT NULL, quirk INTEGER NOT NULL);
CREATE INDEX subs_create ON subscriptions(mall_code, site_code, order_gmt_create, subscribe_id);
CREATE INDEX subs_mod ON subscriptions(mall_code, site_code, gmt_modified, subscribe_id);
CREATE TABLE exchange_codes (code TEXT PRIMARY KEY, catalog_code TEXT NOT NULL, state TEXT NOT NULL,
    service_code TEXT NOT NULL, title TEXT NOT NULL, type INTEGER NOT NULL, period_unit INTEGER NOT NULL,
    period_value INTEGER NOT NULL, expire_time INTEGER NOT NULL, used_by TEXT, used_at INTEGER,
    seq INTEGER NOT NULL);
CREATE TABLE save_wx (device_id TEXT PRIMARY KEY, n INTEGER NOT NULL);
"""

DATA_TABLES = [
    "homes",
    "users",
    "openids",
    "devices",
    "wx_auth",
    "services",
    "orders",
    "subscriptions",
    "exchange_codes",
    "save_wx",
]


def now_ms() -> int:
    return int(time.time() * 1000)


def connect(path: str | Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA cache_size=-32000")
    return conn


def read_meta(path: str | Path) -> dict | None:
    if not Path(path).exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key='world'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return json.loads(row[0]) if row else None


def _remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        p = Path(str(path) + suffix)
        if p.exists():
            p.unlink()


class Store:
    """The live state file plus its pristine copy (``<state>.seed``) used by reset."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.seed_path = Path(str(self.path) + ".seed")
        self.write_lock = threading.RLock()
        self._local = threading.local()
        self.world: dict = {}
        self.generation = 0  # bumped by every write: invalidates the count cache
        self._counts: dict[tuple, tuple[int, int]] = {}

    # -- setup -----------------------------------------------------------------------------------------------
    def ensure_world(
        self, params: dict, log, seed_world: Callable[[sqlite3.Connection, dict, Any], None]
    ) -> str:
        """Reuse the state if it holds the same world, otherwise ``seed_world`` it. Returns "reused" or "seeded".

        The seeder is passed in: the seed writes through this store's schema, so the store cannot import it."""
        wanted = {k: v for k, v in params.items() if k != "epoch" or v is not None}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        state_meta = read_meta(self.path)
        seed_meta = read_meta(self.seed_path)

        def same(meta: dict | None) -> bool:
            return bool(meta) and all(meta.get(k) == v for k, v in wanted.items())

        if same(state_meta) and same(seed_meta) and state_meta["epoch"] == seed_meta["epoch"]:
            self.world = state_meta
            log(f"reusing the seeded world in {self.path}")
            return "reused"
        if same(state_meta):
            # Keep the live state, rebuild its pristine copy with the same epoch.
            params = {**params, "epoch": state_meta["epoch"]}
            self._seed_to(self.seed_path, params, log, seed_world)
            self.world = state_meta
            return "reused"
        started = time.monotonic()
        self._seed_to(self.seed_path, params, log, seed_world)
        _remove_db(self.path)
        shutil.copyfile(self.seed_path, self.path)
        self.world = read_meta(self.path) or {}
        log(f"world ready in {time.monotonic() - started:.1f} s")
        return "seeded"

    def _seed_to(
        self, target: Path, params: dict, log, seed_world: Callable[[sqlite3.Connection, dict, Any], None]
    ) -> None:
        tmp = Path(str(target) + ".tmp")
        _remove_db(tmp)
        conn = sqlite3.connect(str(tmp), isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=OFF")
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute("PRAGMA cache_size=-200000")
            statements = [x.strip() for x in SCHEMA.split(";") if x.strip()]
            for stmt in statements:
                if not stmt.startswith(("CREATE INDEX", "CREATE UNIQUE INDEX")):
                    conn.execute(stmt)
            seed_world(conn, params, log)
            for stmt in statements:  # indexes after the bulk insert: much faster
                if stmt.startswith(("CREATE INDEX", "CREATE UNIQUE INDEX")):
                    conn.execute(stmt)
            conn.execute("ANALYZE")
            conn.execute("PRAGMA journal_mode=DELETE")
        finally:
            conn.close()
        _remove_db(target)
        os.replace(tmp, target)

    def open(self) -> None:
        conn = connect(self.path)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.close()

    # -- connections -----------------------------------------------------------------------------------------
    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path)
            self._local.conn = conn
        return conn

    def query(self, sql: str, args: tuple | list = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, args).fetchall()

    def one(self, sql: str, args: tuple | list = ()) -> sqlite3.Row | None:
        return self.conn.execute(sql, args).fetchone()

    def scalar(self, sql: str, args: tuple | list = ()):
        row = self.conn.execute(sql, args).fetchone()
        return row[0] if row else None

    def count(self, sql: str, args: tuple | list = ()) -> int:
        """A cached COUNT(*) (large listings count the same filter page after page)."""
        key = (sql, tuple(args))
        hit = self._counts.get(key)
        gen = self.generation
        if hit is not None and hit[0] == gen:
            return hit[1]
        value = int(self.scalar(sql, args) or 0)
        if len(self._counts) > 2000:
            self._counts.clear()
        self._counts[key] = (gen, value)
        return value

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One serialized write transaction (a process-wide lock avoids SQLITE_BUSY between threads)."""
        with self.write_lock:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            self.generation += 1

    def reset(self) -> float:
        """Copy every data table back from the pristine seed file. Returns the seconds it took."""
        started = time.monotonic()
        with self.write_lock:
            conn = self.conn
            conn.execute("ATTACH DATABASE ? AS pristine", (str(self.seed_path),))
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    for table in DATA_TABLES:
                        conn.execute(f"DELETE FROM main.{table}")  # noqa: S608 - fixed table names
                        conn.execute(f"INSERT INTO main.{table} SELECT * FROM pristine.{table}")  # noqa: S608
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
                self.generation += 1
            finally:
                conn.execute("DETACH DATABASE pristine")
        return time.monotonic() - started
