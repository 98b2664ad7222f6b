"""What the providers that can list an account's recent jobs share: reading their timestamps, and deciding
whether a listed job agrees with what we know for sure about ours.

The rule everywhere: a fact the provider shows and we know must be equal; a fact the provider does not
show is not evidence either way; the prompt must always be shown and equal (without it nothing is sure)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from ..errors import GptEditError
from ..imagesniff import identify
from .base import CreatedQuery
from .common import decode_data_url

#: pages of a listing read at most per look (100 jobs a page on Replicate): a busy account's last hour,
#: not its whole history
MAX_LIST_PAGES = 20
#: listings can carry every job's input, images included as data URLs: allow much more than a status
LIST_MAX_BYTES = 64 * 1024 * 1024
#: a listing is a plain GET; it should not hold a start-up sweep for long
LIST_READ_TIMEOUT = 30.0

_ISO = re.compile(r"^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?\s*(Z|[+-]\d\d:?\d\d)?$", re.I)


def parse_time(value: Any) -> float | None:
    """ISO 8601 as the providers write it ('2026-11-29T17:04:11.123456Z', any number of fraction
    digits, 'Z' or an offset; no zone means UTC) → epoch seconds, or None."""
    if not isinstance(value, str):
        return None
    m = _ISO.match(value.strip())
    if not m:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    fraction = float("0." + m.group(7)) if m.group(7) else 0.0
    zone = m.group(8)
    offset = timedelta(0)
    if zone and zone.upper() != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    try:
        when = datetime(year, month, day, hour, minute, second, tzinfo=timezone(offset))
    except ValueError:
        return None
    return when.timestamp() + fraction


def iso(epoch: float) -> str:
    """Epoch seconds → '2026-11-29T17:04:11Z' (whole seconds, UTC), the form every listing accepts."""
    return datetime.fromtimestamp(int(epoch), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def in_window(query: CreatedQuery, when: float | None) -> bool:
    return when is not None and query.sent_after <= when <= query.sent_before


def prompt_of(described: Mapping) -> str:
    """The prompt exactly as the providers are sent it, from a request the ledger describes."""
    return str(described.get("prompt") or "").strip()


def agrees(expected: Mapping[str, Any], shown: Any) -> bool:
    """Every field we would have sent that the provider shows back has the value we would have sent.
    The prompt is required: an input without one proves nothing."""
    if not isinstance(shown, Mapping):
        return False
    if "prompt" not in shown or not isinstance(shown["prompt"], str):
        return False
    for key, value in expected.items():
        if key not in shown:
            continue
        got = shown[key]
        if key == "prompt":
            got = got.strip()
        if isinstance(value, int) and not isinstance(value, bool) and isinstance(got, str) and got.isdigit():
            got = int(got)  # a form-style echo of a number
        if got != value:
            return False
    return True


def image_count_agrees(expected: int, shown: Any) -> bool:
    """A list of input images, when shown, has as many entries as we sent."""
    return not isinstance(shown, list) or len(shown) == expected


def image_sizes_agree(described: Any, shown: Any) -> bool:
    """Input images the provider shows inline (data: URLs) have the pixel sizes the ledger recorded. An
    image shown as a link (an upload) is not fetched: no evidence either way."""
    if not isinstance(described, list) or not isinstance(shown, list):
        return True
    for want, got in zip(described, shown, strict=False):  # the count is checked on its own
        if not isinstance(want, Mapping) or not want.get("width") or not want.get("height"):
            continue
        if not isinstance(got, str) or not got.startswith("data:"):
            continue
        try:
            info = identify(decode_data_url(got)[0])
        except GptEditError:
            return False  # not an image at all: not what we sent
        if (info.width, info.height) != (want["width"], want["height"]):
            return False
    return True
