"""Personal-data detection measured on a labelled set written for these tests.

210 labelled spans (e-mails, phones, Luhn-valid cards, mod-97-valid IBANs, US SSNs, UK NI
numbers, IPv4/IPv6) inside customer-service sentences, and 60 sentences with look-alikes that
are not personal data (order and tracking numbers, Luhn-invalid card-length numbers, IBANs
with a wrong check, dates, times, prices, versions). Deterministic (seeded). A predicted span
counts as correct only with the right kind and exact offsets.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from supportqa.core.redact import find_pii

TWITTER = (
    Path(__file__).resolve().parents[3] / "shared" / "data" / "twitter_customer_care" / "dev.json"
)
TEMPLATES = [
    "Hi, my {label} is {value}, can you check?",
    "{value} is the {label} on file.",
    "Please update it to {value} thanks",
    "As requested: {value}.",
    "I already sent {value} twice!!",
]


def luhn_complete(prefix: str) -> str:
    for check in "0123456789":
        digits = prefix + check
        total = 0
        for index, char in enumerate(reversed(digits)):
            value = int(char) * (2 if index % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return digits
    raise AssertionError


def iban(country: str, bban: str) -> str:
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


def group(text: str, size: int = 4, sep: str = " ") -> str:
    return sep.join(text[i : i + size] for i in range(0, len(text), size))


def positives(rng: random.Random) -> list[tuple[str, str, str]]:
    names = ["ana.silva", "j.smith", "kim_lee", "omar+support", "p.okafor", "li.wei"]
    domains = ["example.com", "mail.example.org", "corp.example.co.uk", "example.net"]
    out: list[tuple[str, str, str]] = []
    for i in range(40):
        out.append(("EMAIL", "e-mail", f"{rng.choice(names)}{i}@{rng.choice(domains)}"))
    for _ in range(40):
        n = rng.randrange(1000, 9999)
        out.append(
            (
                "PHONE",
                "phone",
                rng.choice(
                    [
                        f"+44 20 7946 {n}",
                        f"(555) 123-{n}",
                        f"+1-202-555-{n}",
                        f"020 7946 {n}",
                        f"+49 30 1234{n}",
                        f"555.867.{n}",
                    ]
                ),
            )
        )
    for _ in range(30):
        number = luhn_complete("4" + "".join(rng.choice("0123456789") for _ in range(14)))
        out.append(("CARD", "card", rng.choice([group(number), group(number, sep="-"), number])))
    for _ in range(30):
        country, size = rng.choice([("GB", 18), ("DE", 18), ("FR", 23), ("NL", 14)])
        bban = "".join(rng.choice("0123456789") for _ in range(size))
        if country in ("GB", "NL"):
            bban = "".join(rng.choice("ABCDEFGHJKLMNPRSTWXYZ") for _ in range(4)) + bban[4:]
        value = iban(country, bban)
        out.append(("IBAN", "IBAN", rng.choice([value, group(value)])))
    for _ in range(20):
        out.append(
            (
                "NATIONAL_ID",
                "SSN",
                f"{rng.randrange(1, 665):03d}-{rng.randrange(1, 99):02d}-"
                f"{rng.randrange(1, 9999):04d}",
            )
        )
    for _ in range(20):
        out.append(
            (
                "NATIONAL_ID",
                "NI number",
                f"{rng.choice('ABCEGHJKLMNPRSTWXYZ')}{rng.choice('ABCEGHJKLMNPRSTWXYZ')}"
                f" {rng.randrange(10, 99)} {rng.randrange(10, 99)} {rng.randrange(10, 99)}"
                f" {rng.choice('ABCD')}",
            )
        )
    for _ in range(20):
        out.append(("IP", "IP address", ".".join(str(rng.randrange(1, 255)) for _ in range(4))))
    for _ in range(10):
        out.append(
            (
                "IP",
                "IPv6 address",
                rng.choice(["2001:db8::", "fe80::", "2001:0db8:85a3:0000:0000:8a2e:0370:"])
                + f"{rng.randrange(1, 0xFFFF):x}",
            )
        )
    return out


def negatives(rng: random.Random) -> list[str]:
    out = []
    for _ in range(10):
        out.append(f"Order {rng.randrange(10_000_000, 99_999_999)} has shipped.")
    for _ in range(10):
        number = luhn_complete("4" + "".join(rng.choice("0123456789") for _ in range(14)))
        wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
        out.append(f"Your tracking reference is {wrong}.")
    for _ in range(10):
        good = iban("GB", "WEST" + "".join(rng.choice("0123456789") for _ in range(14)))
        bad = good[:2] + f"{(int(good[2:4]) + 1) % 100:02d}" + good[4:]
        out.append(f"Reference {bad} is not ours.")
    for _ in range(10):
        out.append(
            f"We open on 2026-{rng.randrange(1, 12):02d}-{rng.randrange(1, 28):02d} at "
            f"{rng.randrange(8, 18)}:{rng.randrange(10, 59)}."
        )
    for _ in range(10):
        out.append(
            f"The total was ${rng.randrange(100, 9999)}.{rng.randrange(10, 99)} or "
            f"{rng.randrange(1, 99)}% off."
        )
    for _ in range(10):
        out.append(
            f"Please update to v{rng.randrange(1, 9)}.{rng.randrange(0, 20)}.{rng.randrange(0, 9)}"
            f" and quote ticket #{rng.randrange(1000, 99999)}."
        )
    return out


def labelled_set() -> list[tuple[str, list[tuple[str, int, int]]]]:
    rng = random.Random(1307)
    cases = []
    for kind, label, value in positives(rng):
        text = rng.choice(TEMPLATES).format(label=label, value=value)
        start = text.index(value)
        cases.append((text, [(kind, start, start + len(value))]))
    cases.extend((text, []) for text in negatives(rng))
    return cases


def test_precision_and_recall_on_the_labelled_set():
    cases = labelled_set()
    expected = {(i, *span) for i, (_, spans) in enumerate(cases) for span in spans}
    predicted = {
        (i, s.kind, s.start, s.end) for i, (text, _) in enumerate(cases) for s in find_pii(text)
    }
    assert len(expected) == 210 and len(cases) == 270
    true_positives = len(expected & predicted)
    precision = true_positives / len(predicted)
    recall = true_positives / len(expected)
    print(
        f"PII labelled set: precision {precision:.3f}, recall {recall:.3f}, "
        f"{true_positives} of {len(expected)} spans, {len(predicted)} predicted"
    )
    assert precision >= 0.97
    assert recall >= 0.97


def test_runs_over_the_twitter_customer_care_dev_set():
    if not TWITTER.exists():
        return
    dialogues = json.loads(TWITTER.read_text())
    kinds: dict[str, int] = {}
    for dialogue in dialogues:
        for turn in dialogue["dialogContent"]:
            for span in find_pii(turn["message"]):
                kinds[span.kind] = kinds.get(span.kind, 0) + 1
    print("PII in twitter dev.json:", kinds)
    assert kinds.get("EMAIL", 0) >= 1  # the first dialogue gives an e-mail address
