#!/usr/bin/env python3
"""An independent Open311 GeoReport v2 client against a running hdnd.

The GET side goes through PyPI's `georeport` (0.3.1), in JSON and in XML; it has no POST, so
the POST and error checks use `requests` directly. Expects the demo data (published cases).

Usage: open311_check.py BASE_URL API_KEY, e.g. http://127.0.0.1:8080/open311/v2 o311_...
"""

import sys

import requests
import xmltodict
from georeport import GeoReport

XML_TYPE = "text/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"


def as_list(value):
    """xmltodict gives one element as a dict and several as a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def check(condition, message):
    if not condition:
        raise SystemExit(f"FAIL: {message}")


def check_get_side(base):
    ids = {}
    for fmt in ("json", "xml"):
        client = GeoReport(base, output_format=fmt)
        services = as_list(client.get_service_list())
        check(services, f"{fmt}: no services")
        for service in services:
            check(service["type"] == "realtime", f"{fmt}: {service}")
            check(str(service["metadata"]).lower() == "true", f"{fmt}: {service}")
        code = services[0]["service_code"]
        check(isinstance(code, str), f"{fmt}: the service code is not a string")

        definition = client.get_service_definition(code)
        check(definition["service_code"] == code, f"{fmt}: {definition}")
        attributes = definition["attributes"]
        if fmt == "xml":
            attributes = as_list(attributes["attribute"])
        orders = [int(a["order"]) for a in attributes]
        check(len(set(orders)) == len(orders) and min(orders) > 0, f"{fmt}: orders {orders}")
        kinds = next(a for a in attributes if a["code"] == "kind")["values"]
        kinds = as_list(kinds["value"]) if fmt == "xml" else kinds
        check("to_cao" not in [k["key"] for k in kinds], f"{fmt}: tố cáo is offered")

        listed = as_list(client.get_service_requests())
        check(listed, f"{fmt}: the demo data lists no requests")
        for request in listed:
            check(request["status"] in ("open", "closed"), f"{fmt}: {request}")
            check(request["requested_datetime"].endswith("+07:00"), f"{fmt}: {request}")
        first = listed[0]["service_request_id"]
        one = client.get_service_request(first)
        check(one["service_request_id"] == first, f"{fmt}: {one}")
        closed = as_list(client.get_service_requests(status="closed"))
        check(all(r["status"] == "closed" for r in closed), f"{fmt}: status=closed")
        ids[fmt] = [r["service_request_id"] for r in listed]
        print(f"georeport {fmt}: {len(services)} services, {len(listed)} requests, {first} read")
    check(ids["json"] == ids["xml"], "JSON and XML list different requests")
    return code


def check_post_and_errors(base, key, code):
    form = {
        "service_code": code,
        "attribute[title]": "Kiểm tra Open311 từ CI",
        "attribute[consent]": "false",
        "description": "Yêu cầu thử nghiệm của CI, không cần xử lý.",
        "address_string": "Số 1, phường Hồng Bàng, thành phố Hải Phòng",
        "email": "ci.open311@example.org",
    }
    refused = requests.post(f"{base}/requests.xml", data=form)
    check(refused.status_code == 403, f"no key: {refused.status_code}")
    check(refused.headers["Content-Type"] == XML_TYPE, refused.headers["Content-Type"])
    error = xmltodict.parse(refused.content)["errors"]["error"]
    check(error["code"] == "403" and error["description"], f"no key: {error}")

    made = requests.post(f"{base}/requests.json", data={**form, "api_key": key})
    check(made.status_code == 200, f"post: {made.status_code} {made.text}")
    check(made.headers["Content-Type"] == JSON_TYPE, made.headers["Content-Type"])
    created = made.json()
    check(isinstance(created, list) and len(created) == 1, f"post: {created}")
    case = created[0]["service_request_id"]
    check("token" not in created[0], "a realtime service returned a token")
    again = requests.post(f"{base}/requests.xml", data={**form, "api_key": key})
    again = xmltodict.parse(again.content)["service_requests"]["request"]
    check(again["service_request_id"] == case, "a retried post made another case")

    # Unpublished until staff write its public copy.
    hidden = requests.get(f"{base}/requests/{case}.json")
    check(hidden.status_code == 404, f"an unpublished case is shown: {hidden.text}")
    check(hidden.json()[0]["code"] == 404, hidden.text)

    too_long = requests.post(
        f"{base}/requests.json", data={**form, "api_key": key, "description": "x" * 4001}
    )
    check(too_long.status_code == 400, f"4001 characters: {too_long.status_code}")
    wide = requests.get(
        f"{base}/requests.json",
        params={"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-12-01T00:00:00Z"},
    )
    check(wide.status_code == 400, f"a range over 90 days: {wide.status_code}")
    token = requests.get(f"{base}/tokens/12345.xml")
    check(token.status_code == 404, f"token: {token.status_code}")
    for fmt in ("xml", "json"):
        discovery = requests.get(f"{base}/discovery.{fmt}")
        check(discovery.status_code == 200, f"discovery.{fmt}")
    print(f"POST: {case} filed once; 403, 400, 404 and discovery as specified")


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    base, key = sys.argv[1].rstrip("/"), sys.argv[2]
    code = check_get_side(base)
    check_post_and_errors(base, key, code)
    print("open311_check: OK")


if __name__ == "__main__":
    main()
