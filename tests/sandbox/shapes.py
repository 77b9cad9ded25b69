"""The SDK page's example responses (docs/cloud-api.md names the page), made valid JSON, and a key-shape checker."""

from __future__ import annotations

from typing import Any

MONEY = {"Value": "0.01"}

EXAMPLES: dict[str, Any] = {
    "getCommodityList": [
        {
            "subTitle": "VoIP",
            "serviceCode": "voip",
            "targetUrlType": 0,
            "commodityCode": "xxx",
            "commodityUrl": "https://xxx.com/",
            "prices": [
                {
                    "optionType": 0,
                    "periodType": 0,
                    "originalPrice": MONEY,
                    "strOriginalPrice": "0.01",
                    "price": MONEY,
                    "strPrice": "0.01",
                    "currency": "CNY",
                    "optionNo": 0,
                    "periodUnit": 1,
                    "periodValue": 1,
                }
            ],
            "title": "微信视频通话(VoIP)",
            "type": 1,
            "uuid": "xxx",
            "skuCode": "xxx",
        }
    ],
    "getAppMallInfo": {"currency": "CNY", "mallCode": "x", "shopCode": "x", "siteCode": "CN"},
    "getDeviceAddValueType": {
        "types": [0, 1],
        "icon": "smart/icon/x.png",
        "name": "VoIP 调试 - 可视对讲",
        "id": "x",
    },
    "getDeviceList": [
        {"types": [0, 1], "icon": "smart/icon/x.png", "name": "VoIP 调试 - 可视对讲", "id": "x"}
    ],
    "getDeviceCapability": {"WechatMPAppid": "x", "WechatMPOid": "x", "WechatMPMid": "x"},
    "getOrderList": {
        "pageCount": 2,
        "data": [
            {
                "orderBaseInfo": {
                    "orderTypeCode": "xxxx",
                    "totalQuantity": 1,
                    "orderId": "xxxxxx",
                    "amountOrigin": MONEY,
                    "amOrder": True,
                    "orderStatus": "finished",
                    "currency": "CNY",
                    "afterSaleEnabled": False,
                    "amountTrade": MONEY,
                    "gmtCreate": "1723536905517",
                    "mallInfo": {"shopCode": "xxx", "siteCode": "CN", "mallCode": "xxx"},
                },
                "orderCommodityInfos": [
                    {
                        "quantity": 1,
                        "skuSrvPeriodDTO": {
                            "srvCode": "x",
                            "srvPeriodUnit": 1,
                            "srvPeriodValue": 1,
                            "skuCode": "x",
                        },
                        "unitPriceOrigin": MONEY,
                        "commodityCode": "xxx",
                        "unitPriceTrade": MONEY,
                        "afterSaleEnabled": False,
                        "iconUrl": "ecommerce/17229243039995edff2e6.png",
                        "commodityType": 5,
                        "skuValueList": [],
                        "skuCode": "xxx",
                        "commodityName": "微信视频通话(VoIP)",
                    }
                ],
                "orderLogisticsInfo": {"orderLogisticsTag": False},
            }
        ],
        "pageSize": 1,
        "totalRecord": 14,
        "pageNum": 1,
        "empty": False,
    },
    # The seed's example page is empty; the item shape comes from its field tables.
    "getSubscriptionOrderList": {
        "data": [
            {
                "gmtNextTime": 0,
                "orderListModel": {
                    "amountOrigin": MONEY,
                    "amountTrade": MONEY,
                    "currency": "CNY",
                    "mallInfo": {"mallCode": "x", "shopCode": "x", "siteCode": "CN"},
                    "orderGmtCreate": 0,
                    "orderId": "x",
                    "orderItemList": [
                        {
                            "amountOrigin": MONEY,
                            "amountTrade": MONEY,
                            "currency": "CNY",
                            "quantity": 1,
                            "skuCode": "x",
                            "skuPic": "x",
                            "skuValueList": [],
                            "title": "x",
                        }
                    ],
                    "orderStatus": "paid",
                    "quantity": 1,
                },
                "paidProvider": 1,
                "regularInterval": 1,
                "regularUnit": 1,
                "status": 1,
                "subscribeId": "x",
            }
        ],
        "index": 0,
        "pageSize": 1,
        "totalRecord": 0,
        "pageNum": 1,
        "empty": True,
    },
    "getServiceIntroduction": {
        "moduleList": {
            "serviceProtocol": [
                {
                    "color": "",
                    "display": 1,
                    "subtitle": "",
                    "subType": "serviceProtocol",
                    "id": 1,
                    "cfgId": 1,
                    "lang": "zh",
                    "title": "简体中文服务协议",
                    "type": "serviceProtocol",
                    "content": "https://x",
                    "seq": 1,
                }
            ],
            "serviceIntro": [
                {
                    "color": "#2f9c8e",
                    "display": 1,
                    "subtitle": "",
                    "attachmentJson": {"attachment1": "https://x.png"},
                    "subType": "serviceIntro",
                    "id": 1,
                    "cfgId": 1,
                    "lang": "",
                    "title": "微信视频通话(VoIP)",
                    "type": "serviceIntro",
                    "content": "门铃呼叫,微信接听",
                    "seq": 0,
                }
            ],
            "serviceLightSpot": [
                {
                    "color": "",
                    "display": 1,
                    "subtitle": "",
                    "attachmentJson": {"attachment1": "https://x.png"},
                    "subType": "serviceLightSpot",
                    "id": 1,
                    "cfgId": 1,
                    "lang": "",
                    "title": "门铃不漏接",
                    "type": "serviceLightSpot",
                    "content": "x",
                    "seq": 0,
                }
            ],
            "serviceName": [
                {
                    "color": "",
                    "display": 1,
                    "subtitle": "门铃呼叫,微信接听",
                    "attachmentJson": {"attachment2": "https://x.png", "attachment1": "https://x.png"},
                    "subType": "serviceName",
                    "id": 1,
                    "cfgId": 1,
                    "lang": "",
                    "title": "微信视频通话(VoIP)",
                    "type": "serviceName",
                    "content": "",
                    "seq": 0,
                }
            ],
            "configItem": [
                {
                    "color": "",
                    "display": 1,
                    "subtitle": "",
                    "subType": "protocol",
                    "id": 1,
                    "cfgId": 1,
                    "lang": "",
                    "title": "展示服务协议",
                    "type": "configItem",
                    "content": "",
                    "seq": 0,
                }
            ],
        }
    },
    # Two example items with different keys: every item has the common ones (checked separately).
    "getServiceListByDevice": [
        {"code": "voip", "isAY": True, "isFree": False, "name": "x", "isExit": True, "type": 1, "tags": []}
    ],
    "getVoipAuthUser": {
        "isAuth": True,
        "avatarUrl": "https://x.png",
        "isValid": True,
        "userName": "x",
        "userId": "x",
    },
    "saveWXVoipAuth": True,
    "saveVoipAuthUser": True,
    "getDeviceWXUserInfo": {"openId": "x", "userId": "x"},
    # Shapes fixed by the wire contract (the seed shows no response for these).
    "buyIncreaseServiceByWx": {"orderId": "x", "orderStatus": "created", "payParams": {}},
    "voipServiceAuthorization": {"sn": "x", "snTicket": "x", "modelId": "x", "deviceName": "x"},
    "exchangeCode": {"success": True, "serviceCode": "x", "endTime": 0},
}

MONEY_KEYS = {"price", "originalPrice", "amountOrigin", "amountTrade", "unitPriceOrigin", "unitPriceTrade"}


def is_money(value: Any) -> bool:
    if isinstance(value, dict):
        return set(value) == {"Value"} and isinstance(value["Value"], str)
    return isinstance(value, int | float | str) and not isinstance(value, bool)


def problems(example: Any, actual: Any, path: str = "result") -> list[str]:
    """Every key of the example is present (recursively) with a compatible JSON type."""
    out: list[str] = []
    if isinstance(example, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {type(actual).__name__}"]
        for key, value in example.items():
            sub = f"{path}.{key}"
            if key not in actual:
                out.append(f"{sub}: missing")
            elif key in MONEY_KEYS:
                if not is_money(actual[key]):
                    out.append(f"{sub}: not money: {actual[key]!r}")
            else:
                out += problems(value, actual[key], sub)
    elif isinstance(example, list):
        if not isinstance(actual, list):
            return [f"{path}: expected a list, got {type(actual).__name__}"]
        if example and isinstance(example[0], dict | list):
            for i, item in enumerate(actual):
                out += problems(example[0], item, f"{path}[{i}]")
    elif isinstance(example, bool):
        if not isinstance(actual, bool):
            out.append(f"{path}: expected a boolean, got {actual!r}")
    elif isinstance(example, int | float):
        if isinstance(actual, bool) or not isinstance(actual, int | float):
            out.append(f"{path}: expected a number, got {actual!r}")
    elif isinstance(example, str) and not isinstance(actual, str):
        out.append(f"{path}: expected a string, got {actual!r}")
    return out
