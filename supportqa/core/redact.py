"""Mask personal data in free text so it stays readable: `[EMAIL]`, `[PHONE]`, `[CARD]`.

Card numbers are masked only when they pass the Luhn check, so order numbers of the same
length survive.
"""

from __future__ import annotations

import re

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?)?\d{2,4}(?:[ .-]?\d{2,4}){2,3}(?!\d)"
)


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _mask_card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return "[CARD]" if 13 <= len(digits) <= 19 and luhn_valid(digits) else match.group()


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _mask_phone(match: re.Match[str]) -> str:
    text = match.group()
    digits = re.sub(r"\D", "", text)
    formatted = text.startswith(("+", "(")) or len(digits) != len(text)
    if ISO_DATE.fullmatch(text) or not 7 <= len(digits) <= 15:
        return text
    # An unformatted run of digits is more often an order number than a phone number.
    return "[PHONE]" if formatted or len(digits) >= 10 else text


def redact(text: str) -> str:
    text = EMAIL.sub("[EMAIL]", text)
    text = CARD.sub(_mask_card, text)
    return PHONE.sub(_mask_phone, text)
