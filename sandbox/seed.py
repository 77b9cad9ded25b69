"""Deterministic world generation: the same parameters give a byte-identical database content."""

from __future__ import annotations

import base64
import json
import random
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sandbox import catalog as C
from sandbox.store import SCHEMA_VERSION

ALNUM = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def default_epoch() -> int:
    """Today's UTC midnight in ms: seeded history ends there, so a fresh demo looks current."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return int(today.timestamp() * 1000)


def parse_epoch(text: str | None) -> int | None:
    if not text:
        return None
    return int(datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC).timestamp() * 1000)


def _quirk(rng: random.Random) -> int:
    """Bits 0-1: money style (0 {"Value"}, 1 number, 2 string); bits 2-3: extra unknown field (0 none)."""
    r = rng.random()
    style = 0 if r < 0.8 else (1 if r < 0.9 else 2)
    extra = rng.randrange(1, 4) if rng.random() < 0.04 else 0
    return style | (extra << 2)


def _pick_person(rng: random.Random, lang: str) -> str:
    if lang == "zh":
        return rng.choice(C.FAMILY_NAMES_ZH) + rng.choice(C.GIVEN_NAMES_ZH)
    return f"{rng.choice(C.FIRST_NAMES_EN)} {rng.choice(C.LAST_NAMES_EN)}"


def seed_world(conn: sqlite3.Connection, params: dict, log: Callable[[str], None]) -> None:
    started = time.monotonic()
    rng = random.Random(params["seed"])
    epoch = params.get("epoch") or default_epoch()
    n_homes = max(1, int(params["homes"]))
    dph = max(1, int(params["devices_per_home"]))
    n_orders = max(0, int(params["orders"]))
    n_subs = min(max(0, int(params["subscriptions"])), n_orders)
    drift = float(params["drift"])
    day = C.DAY_MS

    homes: list[tuple] = []
    users: list[tuple] = []
    openids: list[tuple] = []
    devices: list[tuple] = []
    home_members: list[list[str]] = []
    home_site: list[str] = []
    used_ids: set[str] = set()

    def uniq(make: Callable[[], str]) -> str:
        while True:
            value = make()
            if value not in used_ids:
                used_ids.add(value)
                return value

    openid_of: dict[tuple[str, str], str] = {}
    for h in range(n_homes):
        site = "CN" if rng.random() < 0.7 else "US"
        lang = "zh" if site == "CN" and rng.random() < 0.9 else "en"
        owner_id = str(30_000_000 + h * 29 + rng.randrange(29))
        owner_name = _pick_person(rng, lang)
        name = f"{owner_name}的家" if lang == "zh" else f"{owner_name.split()[-1]} Home"
        geo = rng.choice(C.GEO_CN if site == "CN" else C.GEO_US)
        homes.append((owner_id, name, geo, site, lang, epoch - rng.randrange(400 * day), h))
        members = []
        n_members = 1 + (rng.random() < 0.55) + (rng.random() < 0.2)
        for k in range(n_members):
            uid = uniq(
                lambda: (
                    "ay" + str(1_600_000_000_000 + rng.randrange(10**11)) + "".join(rng.choices(ALNUM, k=4))
                )
            )
            uname = (
                owner_name
                if k == 0
                else _pick_person(rng, lang if rng.random() < 0.85 else ("en" if lang == "zh" else "zh"))
            )
            if rng.random() < 0.8:
                avatar = f"https://images.tuyacn.com/app/default_avatar/avatar{rng.randint(1, 12)}.png"
            else:
                avatar = f"https://images.sandbox.invalid/avatar/{uid}.png"
            users.append((uid, uname, avatar, owner_id, len(users), homes[-1][5]))
            members.append(uid)
            for app in C.APP_IDS:
                oid = "o" + base64.urlsafe_b64encode(rng.getrandbits(168).to_bytes(21, "big")).decode()[:27]
                openid_of[(uid, app)] = oid
                openids.append((uid, app, oid))
        home_members.append(members)
        home_site.append(site)
    log(f"seed: {len(homes)} homes, {len(users)} users ({time.monotonic() - started:.1f} s)")

    # Devices.
    dev_home: list[int] = []
    dev_types: list[tuple[int, ...]] = []
    dev_ids: list[str] = []
    dev_uuid: list[str] = []
    dev_app: list[str | None] = []
    dev_auth_user: list[str | None] = []
    dev_is_auth: list[int] = []
    voip_idx: list[int] = []
    apps_weights = [5, 3, 2]
    for h in range(n_homes):
        lang = homes[h][4]
        count = max(1, dph + rng.choice((-1, 0, 1))) if dph > 1 else 1
        for _ in range(count):
            i = len(devices)
            product = "doorbell" if rng.random() < 0.55 else "camera"
            has_voip = rng.random() >= 0.15
            types = [0]
            if has_voip:
                types.append(1)
            if rng.random() < 0.3:
                types.append(2)
            loc = rng.choice(C.LOCATIONS_ZH if lang == "zh" else C.LOCATIONS_EN)
            name = rng.choice(C.DEVICE_NAMES[(product, lang)]).format(loc=loc)
            dev_id = uniq(lambda: "6c" + f"{rng.getrandbits(80):020x}")
            uuid = uniq(lambda: "tuya" + f"{rng.getrandbits(64):016x}")
            app = model = auth_user = None
            is_auth = is_valid = auth_time = None
            if has_voip:
                app = rng.choices(C.APP_IDS, weights=apps_weights)[0]
                model = C.MODEL_IDS[(app, product)]
                auth_user = rng.choice(home_members[h])
                is_auth = int(rng.random() < 0.75)
                is_valid = int(rng.random() < 0.95)
                auth_time = epoch - rng.randrange(1, 200 * day)
                voip_idx.append(i)
            devices.append(
                (
                    dev_id,
                    homes[h][0],
                    name,
                    rng.choice(C.ICONS[product]),
                    loc,
                    json.dumps(types),
                    uuid,
                    product,
                    int(has_voip),
                    app,
                    model,
                    auth_user,
                    is_auth,
                    is_valid,
                    auth_time,
                    epoch - rng.randrange(1, 300 * day),
                    _quirk(rng),
                    i,
                )
            )
            dev_home.append(h)
            dev_types.append(tuple(types))
            dev_ids.append(dev_id)
            dev_uuid.append(uuid)
            dev_app.append(app)
            dev_auth_user.append(auth_user)
            dev_is_auth.append(is_auth or 0)
    log(f"seed: {len(devices)} devices, {len(voip_idx)} with VoIP ({time.monotonic() - started:.1f} s)")

    # WeChat's truth per (openid, sn).
    wx: list[tuple] = []
    n_drift = min(len(voip_idx), round(drift * len(voip_idx)))
    drift_set = set(rng.sample(voip_idx, n_drift)) if n_drift else set()
    for i in voip_idx:
        app, uuid, product = dev_app[i], dev_uuid[i], devices[i][7]
        model = C.MODEL_IDS[(app, product)]
        oid = openid_of[(dev_auth_user[i], app)]
        t = devices[i][14] + rng.randrange(0, day)
        r = rng.random()
        if i in drift_set:
            if dev_is_auth[i]:  # revoked in WeChat settings, or cleared by deleting the mini program
                if r < 0.5:
                    wx.append((oid, uuid, app, model, 0, t))
            else:  # authorized in WeChat, never saved to the cloud
                wx.append((oid, uuid, app, model, 1, t))
        elif dev_is_auth[i]:
            wx.append((oid, uuid, app, model, 1, t))
        elif r < 0.5:
            wx.append((oid, uuid, app, model, 0, t))
        for other in home_members[dev_home[i]]:
            if other != dev_auth_user[i] and rng.random() < 0.3:
                wx.append((openid_of[(other, app)], uuid, app, model, 1, t))

    # Services per device.
    services: list[tuple] = []
    for i, dev in enumerate(devices):
        h = dev_home[i]
        lang, is_ay = homes[h][4], int(home_site[h] == "CN")
        r = rng.random()
        if r < 0.4:
            services.append(
                (
                    dev[0],
                    C.FREE_STORAGE["code"],
                    C.FREE_STORAGE[lang],
                    0,
                    None,
                    None,
                    '["freeTrial"]',
                    1,
                    is_ay,
                    1,
                    0,
                    3,
                    0,
                    len(services),
                )
            )
        elif r < 0.75:
            com = C.COMMODITIES[2] if rng.random() < 0.7 else C.COMMODITIES[3]
            start = epoch - rng.randrange(10, 700) * day
            expired = rng.random() < 0.3
            end = epoch - rng.randrange(1, 60) * day if expired else epoch + rng.randrange(30, 900) * day
            tags = '["automaticRenewal"]' if not expired and rng.random() < 0.5 else "[]"
            services.append(
                (
                    dev[0],
                    com.service_code,
                    com.title[lang],
                    0,
                    start,
                    end,
                    tags,
                    0,
                    is_ay,
                    1,
                    0,
                    None,
                    1,
                    len(services),
                )
            )
        if dev[8]:
            r = rng.random()
            start = epoch - rng.randrange(5, 600) * day
            title = C.COMMODITIES[0].title[lang]
            if r < 0.3:
                row = (start, epoch + rng.randrange(30, 800) * day, '["freeTrial"]', 1, 0, 0)
            elif r < 0.6:
                row = (start, epoch + rng.randrange(30, 900) * day, '["automaticRenewal"]', 0, 0, 1)
            elif r < 0.8:
                row = (start, epoch - rng.randrange(1, 120) * day, "[]", 0, 0, 1)
            elif r < 0.9:
                row = (start, None, "[]", 0, 1, 1)
            else:
                row = (start, epoch + rng.randrange(30, 900) * day, "[]", 0, 0, 1)
            s, e, tags, free, perm, bought = row
            services.append(
                (dev[0], "voip", title, 1, s, e, tags, free, is_ay, 1, perm, None, bought, len(services))
            )
        if 2 in dev_types[i] and rng.random() < 0.5:
            e = epoch + rng.randrange(-60, 400) * day
            tags = '["freeTrial"]' if rng.random() < 0.4 else "[]"
            services.append(
                (
                    dev[0],
                    "ai_detect",
                    C.COMMODITIES[4].title[lang],
                    2,
                    e - 30 * day,
                    e,
                    tags,
                    int("free" in tags),
                    is_ay,
                    1,
                    0,
                    None,
                    0,
                    len(services),
                )
            )

    # Orders (bulk, precomputed choices).
    by_types: dict[tuple[int, ...], list[int]] = {}
    sub_by_types: dict[tuple[int, ...], list[int]] = {}
    for types in set(dev_types):
        by_types[types] = [k for k, c in enumerate(C.COMMODITIES) if c.type in types]
        sub_by_types[types] = [
            k
            for k, c in enumerate(C.COMMODITIES)
            if c.type in types and any(o.period_type == 1 for o in c.options["CN"])
        ]
    n_dev = len(devices)
    order_devs = [rng.randrange(n_dev) for _ in range(n_orders)]
    statuses = rng.choices(C.ORDER_STATUSES, weights=C.ORDER_STATUS_WEIGHTS, k=n_orders)
    for k in range(min(n_orders, len(C.ORDER_STATUSES))):
        statuses[k] = C.ORDER_STATUSES[k]
    sub_orders = sorted(rng.sample(range(n_orders), n_subs)) if n_subs else []
    sub_set = set(sub_orders)
    ages = [rng.randrange(1, 365 * day) for _ in range(n_orders)]
    orders: list[tuple] = []
    for n in range(n_orders):
        i = order_devs[n]
        h = dev_home[i]
        site = home_site[h]
        types = dev_types[i]
        if n in sub_set:
            com = C.COMMODITIES[rng.choice(sub_by_types[types])]
            opts = [o for o in com.options[site] if o.period_type == 1]
            status = "finished" if rng.random() < 0.7 else "paid"
        else:
            com = C.COMMODITIES[rng.choice(by_types[types])]
            opts = com.options[site]
            status = statuses[n]
        opt = rng.choice(opts)
        qty = 2 if rng.random() < 0.03 else 1
        mall = C.MALL_BY_CATALOG_SITE[(C.CATALOG_BY_TYPE[com.type], site)]
        created = epoch - ages[n]
        modified = created if status == "created" else min(epoch, created + rng.randrange(1000, 3 * day))
        uid = rng.choice(home_members[h])
        app = dev_app[i] or C.APP_IDS[0]
        order_id = f"{created}{n:07d}"
        orders.append(
            (
                order_id,
                mall.mall_code,
                mall.shop_code,
                site,
                mall.currency,
                status,
                "SUBSCRIBE" if opt.period_type == 1 else "NORMAL",
                "JSAPI",
                opt.original_cents * qty,
                opt.cents * qty,
                qty,
                created,
                modified,
                dev_ids[i],
                homes[h][0],
                uid,
                com.sku_code(site),
                opt.option_no,
                com.commodity_code(site),
                com.title[homes[h][4]],
                5,
                com.service_code,
                opt.period_unit,
                opt.period_value,
                int(status in ("finished", "delivered") and rng.random() < 0.3),
                int(rng.random() < 0.9),
                _quirk(rng),
                None,
                openid_of[(uid, app)],
                app,
            )
        )
    log(f"seed: {len(orders)} orders ({time.monotonic() - started:.1f} s)")

    subs: list[tuple] = []
    sub_status = rng.choices(C.SUBSCRIPTION_STATUSES, weights=[50, 10, 10, 20, 10], k=len(sub_orders))
    for k in range(min(len(sub_orders), len(C.SUBSCRIPTION_STATUSES))):
        sub_status[k] = C.SUBSCRIPTION_STATUSES[k]
    for k, n in enumerate(sub_orders):
        o = orders[n]
        status = sub_status[k]
        period = C.PERIOD_DAYS[o[22]] * o[23] * day
        nxt = o[11] + period
        while status in (1, 2, 3) and nxt < epoch:
            nxt += period
        mall = (o[1], o[3])
        subs.append(
            (
                f"SUB{o[11]}{k:06d}",
                mall[0],
                mall[1],
                status,
                1 if rng.random() < 0.9 else 4,
                o[23],
                o[22],
                nxt,
                o[0],
                o[11],
                o[13],
                o[12],
                _quirk(rng),
            )
        )

    codes: list[tuple] = []
    n_codes = max(30, n_homes // 2)
    code_states = rng.choices(["valid", "used", "expired"], weights=[6, 2, 2], k=n_codes)
    code_states[:3] = ["valid", "used", "expired"][: min(3, n_codes)]
    code_specs = {
        "VOIP": ("voip", 1, 2, 1),
        "CLOUD_STORAGE": ("tuya_camera_store_7day_event", 0, 2, 1),
        "AI": ("ai_detect", 2, 4, 1),
    }
    seen_codes: set[str] = set()
    for k in range(n_codes):
        code = ""
        while not code or code in seen_codes:
            code = "".join(rng.choices(ALNUM, k=12))
        seen_codes.add(code)
        cat = rng.choices(list(code_specs), weights=[5, 4, 1])[0]
        srv, ctype, unit, value = code_specs[cat]
        state = code_states[k]
        title = next(c for c in C.COMMODITIES if c.service_code == srv).title["zh"]
        used_by = used_at = None
        if state == "used":
            used_by = dev_ids[rng.randrange(n_dev)]
            used_at = epoch - rng.randrange(1, 90) * day
        expire = (
            epoch - rng.randrange(1, 200) * day
            if state == "expired"
            else epoch + rng.randrange(30, 400) * day
        )
        codes.append((code, cat, state, srv, title, ctype, unit, value, expire, used_by, used_at, k))

    log(f"seed: generated in {time.monotonic() - started:.1f} s, writing")
    conn.execute("BEGIN")
    meta = {
        "schema": SCHEMA_VERSION,
        "seed": params["seed"],
        "homes": params["homes"],
        "devices_per_home": params["devices_per_home"],
        "orders": params["orders"],
        "subscriptions": params["subscriptions"],
        "drift": params["drift"],
        "epoch": epoch,
    }
    conn.execute("INSERT INTO meta VALUES ('world', ?)", (json.dumps(meta, sort_keys=True),))
    conn.executemany("INSERT INTO homes VALUES (?,?,?,?,?,?,?)", homes)
    conn.executemany("INSERT INTO users VALUES (?,?,?,?,?,?)", users)
    conn.executemany("INSERT INTO openids VALUES (?,?,?)", openids)
    conn.executemany("INSERT INTO devices VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", devices)
    conn.executemany("INSERT OR REPLACE INTO wx_auth VALUES (?,?,?,?,?,?)", wx)
    conn.executemany("INSERT OR REPLACE INTO services VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", services)
    conn.executemany("INSERT INTO orders VALUES (" + ",".join("?" * 30) + ")", orders)  # noqa: S608
    conn.executemany("INSERT INTO subscriptions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", subs)
    conn.executemany("INSERT INTO exchange_codes VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", codes)
    conn.execute("COMMIT")
    log(f"seed: done in {time.monotonic() - started:.1f} s")
