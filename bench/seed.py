"""The benchmarks' data set, written by PostgreSQL itself (INSERT … SELECT generate_series): minutes, not hours.

    python -m bench.seed [--database postgres://…/voipadmin_bench_big] [--devices 1000000]

``--devices`` devices in half as many homes, as many audit rows and orders (one line each), a tenth as many cloud
users with their openIds, VoIP auth states in several states, and one device (``TARGET_DEVICE``) with 1,000
orders and 200 audit rows for the device page. Names are Chinese and English; times spread over two years.
Idempotent: a table that already holds its size is left alone; one that does not is emptied and written again.
Rows are a function of their number (``hashint4``), so two databases seeded at one size hold the same rows.
"""

# The SQL is built from this module's constants and integers only; nothing comes from outside.
# ruff: noqa: S608

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass

from sandbox.catalog import FAMILY_NAMES_ZH

HOME_ZH = FAMILY_NAMES_ZH  # the sandbox's family names: one list of them
GIVEN_ZH = [
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
]
FIRST_EN = [
    "Emma",
    "Liam",
    "Olivia",
    "Noah",
    "Ava",
    "James",
    "Mia",
    "Lucas",
    "Grace",
    "Henry",
    "Chloe",
    "Jack",
]
LAST_EN = ["Smith", "Johnson", "Brown", "Taylor", "Wilson", "Chen", "Wong", "Lee", "Martin", "Walker", "Tan"]
PLACES = [
    "上海市浦东新区",
    "北京市朝阳区",
    "深圳市南山区",
    "杭州市西湖区",
    "成都市武侯区",
    "Singapore",
    "London",
]
DEVICE_NAMES = [
    "前门门铃",
    "客厅摄像头",
    "儿童房看护器",
    "可视门铃",
    "车库摄像头",
    "老人房呼叫器",
    "阳台摄像头",
    "Front door bell",
    "Living room camera",
    "Baby monitor",
    "Garage camera",
    "Back yard doorbell",
    "Kitchen display",
]
ACTORS = [
    "ops.wang",
    "support.li",
    "support.chen",
    "ops.zhang",
    "support.emma",
    "celery beat",
    "reconciliation",
]
# (action, share in percent): reconciliation and refreshes dominate a real log.
ACTIONS = [
    ("reconcile_fix", 40),
    ("device_refresh", 20),
    ("voip_auth_recheck", 15),
    ("voip_auth_user_set", 8),
    ("exchange_code_redeem", 5),
    ("sync_start", 5),
    ("bulk_refresh", 3),
    ("voip_authorization_load", 3),
    ("schedule_update", 1),
]
RESULTS = [("ok", 85), ("failed", 8), ("unknown", 4), ("not_sent", 3)]
APP_IDS = ["wx5d1ac9e5a7f0b001", "wx5d1ac9e5a7f0b002", "wx5d1ac9e5a7f0b003"]
TWO_YEARS = 730 * 86400
BIG = "postgres://postgres@127.0.0.1:5432/voipadmin_bench_big"
SMALL = "postgres://postgres@127.0.0.1:5432/voipadmin_bench_small"


@dataclass(frozen=True)
class Sizes:
    devices: int

    @property
    def homes(self) -> int:
        return max(1, self.devices // 2)

    @property
    def users(self) -> int:
        return max(10, self.devices // 10)

    @property
    def audit(self) -> int:
        return self.devices

    @property
    def orders(self) -> int:
        return self.devices


TARGET_DEVICE = "vd00004242"  # the device page's subject: 1,000 orders and 200 audit rows at every size
TARGET_ORDERS, TARGET_AUDIT = 1000, 200


def device_id(n: int) -> str:
    return f"vd{n:08d}"


def home_id(n: int) -> str:
    return f"vh{n:07d}"


def user_id(n: int) -> str:
    return f"vu{n:07d}"


def open_id(n: int) -> str:
    """The openId the seed gives user ``n`` (first mini program), as PostgreSQL computes it."""
    import hashlib

    return "o" + hashlib.md5(f"{n}openid".encode()).hexdigest()[:27]  # noqa: S324 -- a name, not a secret


def _arr(values: list[str]) -> str:
    return "ARRAY[" + ",".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _pick(values: list[str], expr: str, salt: int) -> str:
    """SQL choosing one of ``values`` by a hash of ``expr`` (1-based arrays)."""
    return f"({_arr(values)})[1 + abs(hashint4(({expr})::int + {salt})) % {len(values)}]"


def _weighted(pairs: list[tuple[str, int]], expr: str, salt: int) -> str:
    """SQL choosing a value by its share in percent."""
    bucket = f"abs(hashint4(({expr})::int + {salt})) % 100"
    arms, edge = [], 0
    for value, share in pairs[:-1]:
        edge += share
        arms.append(f"WHEN {bucket} < {edge} THEN '{value}'")
    return f"(CASE {' '.join(arms)} ELSE '{pairs[-1][0]}' END)"


def _person(expr: str, salt: int) -> str:
    """A Chinese name three times in five, else an English one."""
    zh = f"{_pick(HOME_ZH, expr, salt)} || {_pick(GIVEN_ZH, expr, salt + 1)}"
    en = f"{_pick(FIRST_EN, expr, salt + 2)} || ' ' || {_pick(LAST_EN, expr, salt + 3)}"
    return f"(CASE WHEN abs(hashint4(({expr})::int + {salt + 4})) % 5 < 3 THEN {zh} ELSE {en} END)"


def _ago(expr: str, salt: int, spread: int = TWO_YEARS) -> str:
    """A time within ``spread`` seconds before now, by a hash of ``expr``."""
    return f"(now() - make_interval(secs => abs(hashint4(({expr})::int + {salt})) % {spread}))"


def statements(s: Sizes) -> dict[str, list[str]]:
    """The SQL that writes each table, keyed by table."""
    home_name = f"""(CASE WHEN i % 5 < 3 THEN {_pick(HOME_ZH, "i", 11)} || {_pick(GIVEN_ZH, "i", 12)} || '的家'
        ELSE {_pick(FIRST_EN, "i", 13)} || ' ' || {_pick(LAST_EN, "i", 14)} || '''s home' END)"""
    dev = "'vd' || lpad(i::text, 8, '0')"
    # VoIP capable: 70 % yes, 20 % no, 10 % not checked yet.
    voip = "(CASE WHEN i % 10 < 7 THEN true WHEN i % 10 < 9 THEN false END)"
    target_n = int(TARGET_DEVICE[2:])
    t_orders = min(TARGET_ORDERS, s.orders // 2)
    t_audit = min(TARGET_AUDIT, s.audit // 2)
    return {
        "devices_home": [
            f"""INSERT INTO devices_home (owner_id, name, geo_name, cloud_modified_at, synced_at, device_count)
            SELECT 'vh' || lpad(i::text, 7, '0'), {home_name}, {_pick(PLACES, "i", 15)}, {_ago("i", 16)}, now(),
                LEAST(2, GREATEST(0, {s.devices} - 2 * i))  -- devices 2i and 2i + 1 live in home i
            FROM generate_series(0, {s.homes - 1}) i"""
        ],
        "devices_clouduser": [
            f"""INSERT INTO devices_clouduser (user_id, user_name, avatar_url, cloud_modified_at, synced_at)
            SELECT 'vu' || lpad(i::text, 7, '0'), {_person("i", 21)}, '', {_ago("i", 26)}, now()
            FROM generate_series(0, {s.users - 1}) i""",
            f"""INSERT INTO devices_wechatidentity (user_id, app_id, open_id, synced_at)
            SELECT 'vu' || lpad(i::text, 7, '0'), '{APP_IDS[0]}', 'o' || left(md5(i::text || 'openid'), 27), now()
            FROM generate_series(0, {s.users - 1}) i""",
        ],
        "devices_device": [
            f"""INSERT INTO devices_device (device_id, home_id, name, icon, location_name, uuid, vas_types,
                voip_capable, wechat_app_id, wechat_model_id, wechat_original_id, cloud_modified_at, synced_at,
                details_synced_at)
            SELECT {dev}, 'vh' || lpad((i / 2)::text, 7, '0'),
                {_pick(DEVICE_NAMES, "i", 31)} || CASE WHEN i % 4 = 0 THEN ' ' || (1 + i % 3) ELSE '' END,
                '', {_pick(PLACES, "i / 2", 15)}, 'uuid' || left(md5(i::text), 16),
                (CASE i % 4 WHEN 0 THEN '[0, 1]' WHEN 1 THEN '[1]' WHEN 2 THEN '[0]' ELSE '[0, 1, 2]' END)::jsonb,
                {voip},
                CASE WHEN i % 10 < 7 THEN ({_arr(APP_IDS)})[1 + i % 3] ELSE '' END,
                CASE WHEN i % 10 < 7 THEN 'model-' || (i % 40) ELSE '' END,
                CASE WHEN i % 10 < 7 THEN 'gh_' || left(md5((i % 3)::text), 12) ELSE '' END,
                {_ago("i", 32)}, now() - make_interval(secs => i % 86400), now() - make_interval(secs => i % 86400)
            FROM generate_series(0, {s.devices - 1}) i""",
            """INSERT INTO devices_devicevastype (device_id, vas_type)
            SELECT d.device_id, v::int FROM devices_device d, jsonb_array_elements_text(d.vas_types) v""",
            # Auth state for the VoIP devices: in sync, drift, or never observed by WeChat.
            f"""INSERT INTO devices_voipauthstate (device_id, user_id, user_name, avatar_url, is_auth, is_valid,
                open_id, cloud_auth_updated_at, synced_at, wechat_authorized, wechat_observed_at)
            SELECT {dev}, 'vu' || lpad(u::text, 7, '0'), {_person("u", 21)}, '', a, true,
                'o' || left(md5(u::text || 'openid'), 27), {_ago("i", 41)}, now(),
                CASE WHEN k < 60 THEN a WHEN k < 70 THEN NOT a END,
                CASE WHEN k < 70 THEN {_ago("i", 42, 30 * 86400)} END
            FROM (SELECT i, abs(hashint4(i + 43)) % {s.users} AS u, i % 3 > 0 AS a,
                         abs(hashint4(i + 44)) % 100 AS k
                  FROM generate_series(0, {s.devices - 1}) i WHERE i % 10 < 7) x""",
        ],
        "mall_order": [
            # Catalog rows numbered 0..9, joined by hash; the device is random, its home and a user follow.
            f"""INSERT INTO mall_order (order_id, mall_code, shop_code, site_code, currency, amount_origin,
                amount_trade, status, order_type_code, trade_type, total_quantity, am_order, after_sale_enabled,
                created_at, cloud_modified_at, commodity_code, commodity_name, line_count, synced_at, device_id,
                home_id, user_id)
            SELECT (extract(epoch FROM o.created) * 1000)::bigint::text || lpad(o.i::text, 7, '0'),
                c.mall_code, 'SHOP' || c.site_code, c.site_code, c.currency, c.price, c.price,
                {_weighted(list(zip(_statuses(), _weights(), strict=True)), "o.i", 51)}, 'NORMAL', 'JSAPI', 1,
                false, false, o.created, o.created, c.commodity_code, c.name, 1, now(),
                'vd' || lpad(o.d::text, 8, '0'), 'vh' || lpad((o.d / 2)::text, 7, '0'),
                'vu' || lpad((abs(hashint4(o.d + 53)) % {s.users})::text, 7, '0')
            FROM (SELECT i, {_ago("i", 54, TWO_YEARS)} AS created,
                         CASE WHEN i < {t_orders} THEN {target_n} ELSE abs(hashint4(i + 55)) % {s.devices} END AS d,
                         abs(hashint4(i + 56)) % 10 AS k
                  FROM generate_series(0, {s.orders - 1}) i) o
            JOIN bench_catalog c ON c.k = o.k""",
            """INSERT INTO mall_orderline (order_id, line_no, commodity_code, commodity_name, commodity_type,
                sku_code, srv_code, period_unit, period_value, quantity, unit_price_origin, unit_price_trade,
                after_sale_enabled, icon_url, sku_values)
            SELECT o.order_id, 0, o.commodity_code, o.commodity_name, 5, c.sku_code, o.commodity_code, 2, 1, 1,
                o.amount_trade, o.amount_trade, false, '', '[]'::jsonb
            FROM mall_order o JOIN bench_catalog c ON c.commodity_code = o.commodity_code""",
        ],
        "voipadmin_auditevent": [
            f"""INSERT INTO voipadmin_auditevent (created_at, actor_name, action, result, device_id, target, before,
                after, message, params, cloud_code, cloud_tid, cloud_msg)
            SELECT a.created, {_pick(ACTORS, "a.i", 61)}, a.action, a.result,
                CASE WHEN a.action IN ('sync_start', 'schedule_update') THEN '' ELSE a.dev END,
                CASE WHEN a.action IN ('sync_start', 'schedule_update') THEN 'devices' ELSE a.dev END,
                NULL, NULL,
                CASE a.result WHEN 'ok' THEN 'write.applied' WHEN 'failed' THEN 'write.refused'
                     WHEN 'unknown' THEN 'write.unknown_no_reread' ELSE 'write.not_sent' END,
                jsonb_build_object('device', a.dev, 'user', 'vu' || lpad((a.i % {s.users})::text, 7, '0'),
                    'reason', CASE a.result WHEN 'failed' THEN 'cloud_code' ELSE 'unreachable' END,
                    'cloud_code', 1106, 'failure', 'timeout', 'sync_kind', 'devices', 'pass', 'incremental'),
                CASE WHEN a.result = 'failed' THEN 1106 END,
                CASE WHEN a.result = 'failed' THEN left(md5(a.i::text), 24) ELSE '' END,
                CASE WHEN a.result = 'failed' THEN 'permission deny' ELSE '' END
            FROM (SELECT i, {_ago("i", 62)} AS created, {_weighted(ACTIONS, "i", 63)} AS action,
                         {_weighted(RESULTS, "i", 64)} AS result,
                         CASE WHEN i < {t_audit} THEN '{TARGET_DEVICE}'
                              ELSE 'vd' || lpad((abs(hashint4(i + 65)) % {s.devices})::text, 8, '0') END AS dev
                  FROM generate_series(0, {s.audit - 1}) i) a"""
        ],
    }


def _statuses() -> list[str]:
    from bench.common import STATUSES

    return STATUSES


def _weights() -> list[int]:
    from bench.common import WEIGHTS

    return WEIGHTS


# The tables each step fills (emptied first when the size is wrong), and the size that says it is there.
def _plan(s: Sizes) -> list[tuple[str, list[str], int]]:
    return [
        ("devices_home", ["devices_home"], s.homes),
        ("devices_clouduser", ["devices_wechatidentity", "devices_clouduser"], s.users),
        ("devices_device", ["devices_voipauthstate", "devices_devicevastype", "devices_device"], s.devices),
        ("mall_order", ["mall_orderline", "mall_order"], s.orders),
        ("voipadmin_auditevent", ["voipadmin_auditevent"], s.audit),
    ]


def seed(devices: int) -> bool:
    """Write what is missing; True when anything was written."""
    from django.db import connection, transaction
    from django.utils import timezone

    from bench.common import seed_catalog

    s = Sizes(devices)
    sql = statements(s)
    wrote = False
    started = time.monotonic()
    catalog = seed_catalog(timezone.now())
    with connection.cursor() as cur:
        cur.execute("SET synchronous_commit = off")
        cur.execute("SET maintenance_work_mem = '256MB'")
        cur.execute("DROP TABLE IF EXISTS bench_catalog")
        cur.execute(
            "CREATE TEMP TABLE bench_catalog (k int, commodity_code text, sku_code text, name text, "
            "site_code text, mall_code text, currency text, price bigint)"
        )
        from bench.common import SITES

        for k, (code, sku, name, _type, site, mall, price) in enumerate(catalog):
            cur.execute(
                "INSERT INTO bench_catalog VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                [k, code, sku, name, site, mall, SITES[site], int(price * 10_000)],
            )
        for table, tables, size in _plan(s):
            cur.execute(f"SELECT count(*) FROM {table}")
            have = cur.fetchone()[0]
            if have >= size:  # live use (a sync, the load test) only adds rows
                print(f"  {table}: {have:,} rows, kept", flush=True)
                continue
            t0 = time.monotonic()
            with transaction.atomic():
                cur.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
                for statement in sql[table]:
                    cur.execute(statement)
            for name in tables:
                cur.execute(f"VACUUM ANALYZE {name}")
            wrote = True
            print(f"  {table}: {size:,} rows written in {time.monotonic() - t0:.0f} s", flush=True)
    from mall.models import OrderDayTotal

    if wrote or not OrderDayTotal.objects.exists():
        from mall.services.upsert import order_day_totals_rebuild

        order_day_totals_rebuild()
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE mall_orderdaytotal")
        print(f"seeded {devices:,} devices' data set in {time.monotonic() - started:.0f} s", flush=True)
    return wrote


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.seed")
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL", BIG))
    parser.add_argument("--devices", type=int, default=1_000_000)
    args = parser.parse_args()
    from bench.common import django_setup

    django_setup(args.database)
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("the seed is PostgreSQL's own SQL: set DATABASE_URL=postgres://…")
    seed(args.devices)


if __name__ == "__main__":
    main()
