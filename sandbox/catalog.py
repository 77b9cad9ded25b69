"""Fixed (seed-independent) facts of the imitated world: AppIDs, models, malls, commodities, enums, texts."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

VOIP_CAPABILITY = "tyabiwxrn9"

DEFAULT_CLIENT_ID = "voipadmin-sandbox"
DEFAULT_CLIENT_SECRET = "sandbox-secret-change-me"

# The three demo WeChat mini programs (fixed by the wire contract).
WECHAT_APPS: dict[str, str] = {
    "wx5d1ac9e5a7f0b001": "sandbox-wechat-secret-001",
    "wx5d1ac9e5a7f0b002": "sandbox-wechat-secret-002",
    "wx5d1ac9e5a7f0b003": "sandbox-wechat-secret-003",
}
APP_IDS: list[str] = list(WECHAT_APPS)


def _h(text: str, n: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]


# Original id (gh_...) of each mini program, as getDeviceCapability's WechatMPOid.
APP_ORIGINAL_IDS: dict[str, str] = {app: "gh_" + _h("oid" + app, 12) for app in APP_IDS}

PRODUCTS: dict[str, dict[str, str]] = {
    "doorbell": {"zh": "可视门铃", "en": "Video doorbell"},
    "camera": {"zh": "摄像机", "en": "Camera"},
}


def _model_id(app: str, product: str) -> str:
    digest = hashlib.sha256(f"model:{app}:{product}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:22]


# WeChat device model id per (AppID, product): WechatMPMid.
MODEL_IDS: dict[tuple[str, str], str] = {(a, p): _model_id(a, p) for a in APP_IDS for p in PRODUCTS}
MODELS_BY_APP: dict[str, set[str]] = {a: {MODEL_IDS[(a, p)] for p in PRODUCTS} for a in APP_IDS}

ICONS: dict[str, list[str]] = {
    "doorbell": [
        "smart/icon/bay1591770978438Acm2/0a0b4a644f5339732720a221a7693a1b.png",
        "smart/icon/bay1591770978438Acm2/5b8e2c71d04a4f1f9c3e6a2d8b7f1e90.png",
    ],
    "camera": [
        "smart/icon/ay1525749833414yotNx/7c3d9e1f2a4b5c6d8e9f0a1b2c3d4e5f.png",
        "smart/icon/ay1525749833414yotNx/1f2e3d4c5b6a79880a1b2c3d4e5f6a7b.png",
    ],
}

SITES: dict[str, str] = {"CN": "CNY", "US": "USD"}

# Commodity type (documented by the vendor): 0 cloud storage, 1 VoIP, 2 AI.
COMMODITY_TYPES = {0: "cloud storage", 1: "VoIP", 2: "AI"}
CATALOGS: dict[str, int] = {"CLOUD_STORAGE": 0, "VOIP": 1, "AI": 2}  # catalog_code -> commodity type
CATALOG_BY_TYPE: dict[int, str] = {v: k for k, v in CATALOGS.items()}
# getServiceIntroduction categoryCode values (UNVERIFIED) -> commodity type.
CATEGORY_CODES: dict[str, int] = {"cloud_storage": 0, "voip": 1, "ai": 2}

# Period units (documented): 1 year, 2 month, 3 day, 4 week.
PERIOD_DAYS = {1: 365, 2: 30, 3: 1, 4: 7}
DAY_MS = 86_400_000

# UNVERIFIED enumerations (no public source): labels chosen by us, kept in one place.
UNVERIFIED = {
    "getDeviceAddValueType.types": {0: "cloud storage", 1: "VoIP", 2: "AI"},
    "saveWXVoipAuth.auth_tag": {0: "not authorized", 1: "authorized"},
    "getServiceIntroduction.categoryCode": {"voip": "VoIP", "cloud_storage": "cloud storage", "ai": "AI"},
    "subscription.status": {1: "active", 2: "trial", 3: "renewal failed", 4: "cancelled", 5: "expired"},
    "subscription.paidProvider": {1: "WeChat Pay", 4: "Apple IAP"},
    "subscription.regularUnit": {1: "year", 2: "month", 3: "day", 4: "week"},
    "price.optionType": {0: "one-off purchase", 1: "subscription"},
    "order.commodityType": {5: "value-added service (seen in the seed for VoIP)"},
}
SUBSCRIPTION_STATUSES = [1, 2, 3, 4, 5]

ORDER_STATUSES = [
    "created",
    "pending_audit_paid",
    "paying",
    "paid",
    "delivering",
    "delivered",
    "part_delivered",
    "finished",
    "canceled",
    "closed",
    "refunded",
]
ORDER_STATUS_WEIGHTS = [6, 1, 2, 10, 2, 3, 1, 55, 8, 7, 5]


@dataclass(frozen=True)
class Mall:
    mall_code: str
    shop_code: str
    site_code: str
    currency: str
    catalog_code: str


MALLS: list[Mall] = [
    Mall(
        "MALL" + _h(f"mall:{cat}:{site}", 10).upper(), "SHOP" + _h(f"shop:{site}", 8).upper(), site, cur, cat
    )
    for cat in CATALOGS
    for site, cur in SITES.items()
]
MALL_BY_CATALOG_SITE: dict[tuple[str, str], Mall] = {(m.catalog_code, m.site_code): m for m in MALLS}


@dataclass(frozen=True)
class PriceOption:
    option_type: int  # 0 one-off, 1 subscription (UNVERIFIED labels)
    option_no: int
    cents: int
    original_cents: int
    period_unit: int
    period_value: int
    period_type: int  # 0 NORMAL, 1 SUBSCRIBE
    discount: int | None = None
    trial_unit: int | None = None
    trial_value: int | None = None


@dataclass(frozen=True)
class Commodity:
    key: str
    type: int
    service_code: str
    title: dict[str, str]
    sub_title: dict[str, str]
    target_url_type: int
    options: dict[str, list[PriceOption]]  # site -> options

    def commodity_code(self, site: str) -> str:
        return "CM" + _h(f"commodity:{self.key}:{site}", 12).upper()

    def sku_code(self, site: str) -> str:
        return "SKU" + _h(f"sku:{self.key}:{site}", 12).upper()


def _opts(rows: list[tuple]) -> list[PriceOption]:
    out = []
    for no, row in enumerate(rows):
        out.append(PriceOption(row[0], no, *row[1:]))
    return out


COMMODITIES: list[Commodity] = [
    Commodity(
        "voip-basic",
        1,
        "voip",
        {"zh": "微信视频通话(VoIP)", "en": "WeChat video call (VoIP)"},
        {"zh": "VoIP", "en": "VoIP"},
        1,
        {
            "CN": _opts(
                [(0, 990, 1200, 2, 1, 0), (0, 9900, 14400, 1, 1, 0, 31), (1, 880, 1200, 2, 1, 1, 27, 3, 7)]
            ),
            "US": _opts(
                [(0, 199, 249, 2, 1, 0), (0, 1999, 2999, 1, 1, 0, 33), (1, 179, 249, 2, 1, 1, 28, 3, 7)]
            ),
        },
    ),
    Commodity(
        "voip-family",
        1,
        "voip",
        {"zh": "微信视频通话 家庭版", "en": "WeChat video call Family"},
        {"zh": "多人接听", "en": "Several answerers"},
        0,
        {
            "CN": _opts([(0, 16800, 19900, 1, 1, 0, 16), (1, 1500, 1500, 2, 1, 1, None, 2, 1)]),
            "US": _opts([(0, 3499, 3999, 1, 1, 0, 12), (1, 299, 299, 2, 1, 1, None, 2, 1)]),
        },
    ),
    Commodity(
        "cloud-7day",
        0,
        "tuya_camera_store_7day_event",
        {"zh": "7 天事件云存储", "en": "7-day event cloud storage"},
        {"zh": "云存储", "en": "Cloud storage"},
        0,
        {
            "CN": _opts(
                [(0, 1500, 1500, 2, 1, 0), (0, 15000, 18000, 1, 1, 0, 17), (1, 1200, 1500, 2, 1, 1, 20, 2, 1)]
            ),
            "US": _opts(
                [(0, 299, 299, 2, 1, 0), (0, 2999, 3588, 1, 1, 0, 16), (1, 249, 299, 2, 1, 1, 17, 2, 1)]
            ),
        },
    ),
    Commodity(
        "cloud-30day",
        0,
        "tuya_camera_store_30day_continuous",
        {"zh": "30 天全天候云存储", "en": "30-day continuous cloud storage"},
        {"zh": "云存储", "en": "Cloud storage"},
        0,
        {
            "CN": _opts([(0, 4500, 4500, 2, 1, 0), (0, 45000, 54000, 1, 1, 0, 17)]),
            "US": _opts([(0, 699, 699, 2, 1, 0), (0, 6999, 8388, 1, 1, 0, 17)]),
        },
    ),
    Commodity(
        "ai-detect",
        2,
        "ai_detect",
        {"zh": "AI 智能识别", "en": "AI detection"},
        {"zh": "人形/包裹识别", "en": "Person and parcel detection"},
        1,
        {
            "CN": _opts(
                [(0, 600, 800, 2, 1, 0, 25), (1, 500, 800, 2, 1, 1, 38, 3, 3), (0, 300, 300, 4, 1, 0)]
            ),
            "US": _opts([(0, 99, 149, 2, 1, 0, 34), (1, 89, 149, 2, 1, 1, 40, 3, 3), (0, 49, 49, 4, 1, 0)]),
        },
    ),
]
COMMODITY_BY_SKU: dict[str, tuple[Commodity, str]] = {
    c.sku_code(site): (c, site) for c in COMMODITIES for site in SITES
}

ORDER_ICONS = {
    0: "ecommerce/1722924303999cloudstorage.png",
    1: "ecommerce/17229243039995edff2e6.png",
    2: "ecommerce/1722924304101aidetect.png",
}

# Free cloud-storage trial shown on many cameras (as in the seed example).
FREE_STORAGE = {
    "code": "tuya_camera_store_3day_event_1_1095",
    "zh": "3 天滚动存储",
    "en": "3-day rolling storage",
}

FAMILY_NAMES_ZH = [
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "黄",
    "赵",
    "吴",
    "周",
    "徐",
    "孙",
    "马",
    "朱",
    "胡",
    "郭",
    "何",
    "林",
]
GIVEN_NAMES_ZH = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "磊",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "建华",
    "晓东",
    "丽",
]
FIRST_NAMES_EN = [
    "James",
    "Mary",
    "John",
    "Linda",
    "Michael",
    "Sarah",
    "David",
    "Emma",
    "Daniel",
    "Olivia",
    "Chris",
    "Grace",
]
LAST_NAMES_EN = [
    "Smith",
    "Johnson",
    "Brown",
    "Garcia",
    "Miller",
    "Davis",
    "Wilson",
    "Moore",
    "Taylor",
    "Clark",
    "Lee",
]
GEO_CN = [
    "上海市浦东新区",
    "北京市朝阳区",
    "广东省深圳市南山区",
    "浙江省杭州市西湖区",
    "四川省成都市武侯区",
    "江苏省南京市鼓楼区",
]
GEO_US = ["San Jose, CA", "Austin, TX", "Seattle, WA", "Brooklyn, NY", "Denver, CO", "Portland, OR"]
LOCATIONS_ZH = ["门口", "客厅", "车库", "院子", "卧室", "后门", "阳台", "走廊"]
LOCATIONS_EN = ["Front door", "Garage", "Living room", "Backyard", "Porch", "Back door", "Hallway", "Nursery"]
DEVICE_NAMES = {
    ("doorbell", "zh"): ["{loc}门铃", "{loc}可视门铃", "VoIP 调试 - 可视对讲", "智能门铃"],
    ("doorbell", "en"): ["{loc} doorbell", "{loc} video doorbell", "Smart doorbell"],
    ("camera", "zh"): ["{loc}摄像头", "{loc}监控", "智能摄像机"],
    ("camera", "en"): ["{loc} camera", "{loc} cam", "Indoor camera"],
}
EXTRA_FIELDS = ["bizExt", "traceTag", "gray"]


def service_introduction(category: str) -> dict:
    """A getServiceIntroduction result for a category (zh and en items), static."""
    ctype = CATEGORY_CODES[category]
    base = 1000 + 100 * ctype
    cfg = 50 + ctype
    titles = {
        0: ("云存储", "Cloud storage", "录像云端保存，随时回看", "Recordings kept in the cloud"),
        1: (
            "微信视频通话(VoIP)",
            "WeChat video call (VoIP)",
            "门铃呼叫,微信接听",
            "Doorbell rings, answer in WeChat",
        ),
        2: ("AI 智能识别", "AI detection", "人形、包裹智能识别", "Person and parcel detection"),
    }[ctype]
    img = f"https://images.sandbox.invalid/vas/{category}"

    def item(i: int, sub: str, lang: str, title: str, content: str, seq: int, **extra) -> dict:
        row = {
            "color": extra.pop("color", ""),
            "display": 1,
            "subtitle": extra.pop("subtitle", ""),
            "subType": extra.pop("subType", sub),
            "id": base + i,
            "cfgId": cfg,
            "lang": lang,
            "title": title,
            "type": sub,
            "content": content,
            "seq": seq,
        }
        if "attachmentJson" in extra:
            row["attachmentJson"] = extra.pop("attachmentJson")
        return row

    spots = {
        0: [("不错过每个瞬间", "Never miss a moment"), ("随时回看", "Play back anytime")],
        1: [
            ("门铃不漏接", "Never miss a ring"),
            ("通话更便捷", "Easier calls"),
            ("微信开门", "Open the door from WeChat"),
        ],
        2: [("减少误报", "Fewer false alarms"), ("包裹提醒", "Parcel alerts")],
    }[ctype]
    light = []
    for n, (zh, en) in enumerate(spots):
        light.append(
            item(
                10 + 2 * n,
                "serviceLightSpot",
                "zh",
                zh,
                zh,
                n,
                attachmentJson={"attachment1": f"{img}/spot{n}.png"},
            )
        )
        light.append(
            item(
                11 + 2 * n,
                "serviceLightSpot",
                "en",
                en,
                en,
                n,
                attachmentJson={"attachment1": f"{img}/spot{n}.png"},
            )
        )
    return {
        "moduleList": {
            "serviceProtocol": [
                item(
                    1,
                    "serviceProtocol",
                    "zh",
                    "简体中文服务协议",
                    f"https://protocol.sandbox.invalid/{category}?lang=zh",
                    1,
                ),
                item(
                    2,
                    "serviceProtocol",
                    "en",
                    "英语服务协议",
                    f"https://protocol.sandbox.invalid/{category}?lang=en",
                    4,
                ),
            ],
            "serviceIntro": [
                item(
                    3,
                    "serviceIntro",
                    "zh",
                    titles[0],
                    titles[2],
                    0,
                    color="#2f9c8e",
                    attachmentJson={"attachment1": f"{img}/intro.png"},
                ),
                item(
                    4,
                    "serviceIntro",
                    "en",
                    titles[1],
                    titles[3],
                    0,
                    color="#2f9c8e",
                    attachmentJson={"attachment1": f"{img}/intro.png"},
                ),
            ],
            "serviceLightSpot": light,
            "serviceName": [
                item(
                    5,
                    "serviceName",
                    "zh",
                    titles[0],
                    "",
                    0,
                    subtitle=titles[2],
                    attachmentJson={"attachment1": f"{img}/n1.png", "attachment2": f"{img}/n2.png"},
                ),
                item(
                    6,
                    "serviceName",
                    "en",
                    titles[1],
                    "",
                    0,
                    subtitle=titles[3],
                    attachmentJson={"attachment1": f"{img}/n1.png", "attachment2": f"{img}/n2.png"},
                ),
            ],
            "configItem": [
                item(7, "configItem", "", "展示服务协议", "", 0, subType="protocol"),
                item(8, "configItem", "", "兑换券入口", "", 0, subType="exchange"),
            ],
        }
    }
