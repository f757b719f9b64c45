import pytest

from supportqa.core.redact import luhn_valid, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to jo.doe+x@mail.example.org today", "write to [EMAIL] today"),
        ("card 4111 1111 1111 1111 please", "card [CARD] please"),
        ("card 5500-0000-0000-0004", "card [CARD]"),
        ("call me on +44 20 7946 0958", "call me on [PHONE]"),
        ("or (555) 123-4567", "or [PHONE]"),
    ],
)
def test_personal_data_is_masked(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    ["order 4111111111111112 shipped", "order 12345678", "on 2026-01-15 at 10:30", "v2.4.1"],
)
def test_look_alikes_survive(text):
    assert redact(text) == text


def test_luhn():
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")
