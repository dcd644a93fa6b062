#!/usr/bin/env python3
"""Reads a running hdnd's Atom and iCalendar feeds with independent parsers.

feedparser (Atom, RFC 4287) and icalendar (RFC 5545) are not ours: if they read our feeds
without complaint, and what they read matches the portal's pages, the feeds are what other
software will see. Run against a server seeded with `hdnd seed-demo`:

    feeds_check.py --base http://127.0.0.1:8080 --staff-ics <URL from `hdnd staff calendar-link`>

Exits non-zero with a message on the first thing that is wrong.
"""

import argparse
import html
import pathlib
import sys
import tomllib
import unicodedata
import urllib.error
import urllib.request

import feedparser
import icalendar

REPO = pathlib.Path(__file__).resolve().parents[2]


def fetch(url):
    """(status, content type, body bytes) of a GET, 4xx and 5xx included."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


def check(condition, message):
    if not condition:
        sys.exit(f"feeds_check: {message}")


def vietnamese(text):
    """Whether `text` has a letter outside ASCII, in NFC."""
    return any(ord(c) > 127 for c in text) and unicodedata.normalize("NFC", text) == text


def check_atom(base, path, *, want_entries):
    status, kind, body = fetch(base + path)
    check(status == 200, f"{path}: status {status}")
    check(kind == "application/atom+xml; charset=utf-8", f"{path}: content type {kind!r}")
    feed = feedparser.parse(body)
    check(not feed.bozo, f"{path}: feedparser says {feed.get('bozo_exception')!r}")
    check(feed.version == "atom10", f"{path}: read as {feed.version!r}, not Atom 1.0")
    check(feed.feed.get("title") and feed.feed.get("updated_parsed"), f"{path}: no title or date")
    if want_entries:
        check(feed.entries, f"{path}: no entries")
    for entry in feed.entries:
        for field in ("id", "title", "link", "published_parsed", "updated_parsed", "summary"):
            check(entry.get(field), f"{path}: an entry without {field}")
        check(entry.link.startswith(base + "/ho-so/"), f"{path}: entry link {entry.link}")
    return feed


def check_title_round_trip(feed):
    """The first entry's title, as feedparser read it, is the title on its case page."""
    entry = feed.entries[0]
    check(vietnamese(entry.title), f"title {entry.title!r} is not Vietnamese text in NFC")
    status, _, body = fetch(entry.link)
    check(status == 200, f"{entry.link}: status {status}")
    page = html.unescape(body.decode("utf-8"))
    check(entry.title in page, f"the case page does not show the feed's title {entry.title!r}")


def check_ics_text(path, body):
    """CRLF line ends and at most 75 octets a line, as RFC 5545 §3.1 says."""
    check(body.endswith(b"\r\n"), f"{path}: does not end in CRLF")
    for line in body[:-2].split(b"\r\n"):
        check(b"\n" not in line and b"\r" not in line, f"{path}: a bare line end in {line!r}")
        check(len(line) <= 75, f"{path}: a line of {len(line)} octets")
        line.decode("utf-8")  # no sequence cut by folding


def check_ics(url, label, *, want_private):
    status, kind, body = fetch(url)
    check(status == 200, f"{label}: status {status}")
    check(kind == "text/calendar; charset=utf-8", f"{label}: content type {kind!r}")
    check_ics_text(label, body)
    calendar = icalendar.Calendar.from_ical(body)
    check(str(calendar.get("VERSION")) == "2.0", f"{label}: no VERSION:2.0")
    check(calendar.get("X-WR-CALNAME"), f"{label}: no X-WR-CALNAME")
    events = list(calendar.walk("VEVENT"))
    check(events, f"{label}: no events")
    uids = set()
    for event in events:
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        check(start.tzinfo is not None and end > start, f"{label}: event times {start} {end}")
        check(vietnamese(str(event.get("SUMMARY"))), f"{label}: summary {event.get('SUMMARY')!r}")
        check(event.get("DTSTAMP") and event.get("CATEGORIES"), f"{label}: DTSTAMP or CATEGORIES")
        uids.add(str(event.get("UID")))
    check(len(uids) == len(events), f"{label}: UIDs repeat")
    classes = {str(e.get("CLASS")) for e in events}
    if want_private:
        check("PRIVATE" in classes, f"{label}: the staff feed has no staff-only event")
    else:
        check(classes == {"PUBLIC"}, f"{label}: a non-public event in the public feed")
    return events


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the portal, e.g. http://127.0.0.1:8080")
    parser.add_argument("--staff-ics", required=True, help="a staff member's calendar URL")
    args = parser.parse_args()
    base = args.base.rstrip("/")
    profile = tomllib.loads((REPO / "config" / "council.toml").read_text(encoding="utf-8"))

    feed = check_atom(base, "/nguon/ho-so.atom", want_entries=True)
    check_title_round_trip(feed)
    for area in profile["areas"]:
        check_atom(base, f"/nguon/khu-vuc/{area['code']}.atom", want_entries=False)
    for category in profile["categories"]:
        check_atom(base, f"/nguon/linh-vuc/{category['code']}.atom", want_entries=False)
    for missing in ("/nguon/khu-vuc/khong-co.atom", "/nguon/linh-vuc/khong-co.atom"):
        status, _, _ = fetch(base + missing)
        check(status == 404, f"{missing}: status {status}, not 404")

    public = check_ics(base + "/lich.ics", "/lich.ics", want_private=False)
    staff = check_ics(args.staff_ics, "the staff feed", want_private=True)
    status, _, _ = fetch(base + "/lich/rieng/" + "0" * 64 + ".ics")
    check(status == 404, f"an unknown calendar token: status {status}, not 404")

    print(
        f"feeds_check: {len(feed.entries)} Atom entries, {len(public)} public and "
        f"{len(staff)} staff events read by feedparser {feedparser.__version__} and "
        f"icalendar {icalendar.__version__}"
    )


if __name__ == "__main__":
    main()
