"""Find and mask personal data in free text so it stays readable: `[EMAIL]`, `[CARD]`, …

Detectors, applied in this order (an earlier match wins its characters):
* EMAIL: local@domain.tld.
* IBAN: country code, two check digits and 11–30 alphanumerics (spaces allowed in groups of
  four), kept only when the ISO 13616 mod-97 check gives 1.
* CARD: 13–19 digits (spaces or hyphens allowed), kept only when the Luhn check passes, so
  order numbers of the same length survive.
* NATIONAL_ID: US social security numbers (ddd-dd-dddd, not 000/666/9xx areas) and UK national
  insurance numbers (two letters, six digits, a letter A–D).
* IP: IPv4 dotted quads with every part 0–255, and full or "::"-compressed IPv6.
* PHONE: international (+…) or formatted numbers of 7–15 digits; an unformatted run of fewer
  than ten digits, or an ISO date, is left alone.
Numbers inside links (order ids, query strings) are not personal data and are skipped.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
CARD = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
SSN = re.compile(r"(?<!\d)(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?!\d)")
NINO = re.compile(r"\b(?![DFIQUV])[A-Z](?![DFIOQUV])[A-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b")
IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\w|\.\d)")
IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?)?\d{2,4}(?:[ .-]?\d{2,4}){2,3}(?![\w-])"
)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
URL = re.compile(r"(?:https?://|www\.)\S+")


@dataclass(frozen=True)
class Span:
    kind: str
    start: int
    end: int


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def iban_valid(text: str) -> bool:
    compact = text.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(c, 36)) for c in rearranged)
    return int(digits) % 97 == 1


def _card(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    return 13 <= len(digits) <= 19 and luhn_valid(digits)


def _phone(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    formatted = text.startswith(("+", "(")) or len(digits) != len(text)
    if ISO_DATE.fullmatch(text) or not 7 <= len(digits) <= 15:
        return False
    # An unformatted run of digits is more often an order number than a phone number.
    return formatted or len(digits) >= 10


def _ipv4(text: str) -> bool:
    return all(0 <= int(part) <= 255 for part in text.split("."))


def _ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _any(_: str) -> bool:
    return True


DETECTORS: list[tuple[str, re.Pattern[str], Callable[[str], bool]]] = [
    ("EMAIL", EMAIL, _any),
    ("IBAN", IBAN, iban_valid),
    ("CARD", CARD, _card),
    ("NATIONAL_ID", SSN, _any),
    ("NATIONAL_ID", NINO, _any),
    ("IP", IPV4, _ipv4),
    ("IP", IPV6, _ipv6),
    ("PHONE", PHONE, _phone),
]


def find_pii(text: str) -> list[Span]:
    """Non-overlapping spans of personal data, in text order."""
    taken = [False] * len(text)
    for match in URL.finditer(text):  # ids and query strings in links are not personal data
        taken[match.start() : match.end()] = [True] * (match.end() - match.start())
    spans = []
    for kind, pattern, check in DETECTORS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(taken[start:end]) or not check(match.group()):
                continue
            taken[start:end] = [True] * (end - start)
            spans.append(Span(kind, start, end))
    return sorted(spans, key=lambda s: s.start)


def redact(text: str) -> str:
    out, position = [], 0
    for span in find_pii(text):
        out.append(text[position : span.start])
        out.append(f"[{span.kind}]")
        position = span.end
    out.append(text[position:])
    return "".join(out)
