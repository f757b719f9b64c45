"""Intake (workflow step 1): how urgent and how complex a request is, as a score from 0 to
100 with the reasons that make it up, so a lead sees why and can disagree.

Each signal adds its points once; the level is low below 30, medium from 30, high from 60.
The points are a documented starting rule, not a fitted model: a request with an outage word
and a furious customer is high; a calm "how do I …" is low.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from supportqa.core.sentiment import sentiment

OUTAGE = re.compile(
    r"\b(outage|is down|are down|went down|not working|doesn'?t work|does not work|"
    r"can'?t log ?in|cannot log ?in|locked out|urgent|urgently|asap|immediately|emergency|"
    r"charged twice|double charged|data loss|lost (?:all|my) data)\b",
    re.IGNORECASE,
)
# Words that join a second issue to the first.
ANOTHER_ISSUE = re.compile(
    r"\b(also|another (?:issue|problem|question)|second (?:issue|problem|question)|"
    r"in addition|additionally|on top of that|as well as)\b",
    re.IGNORECASE,
)
MEDIUM, HIGH = 30, 60

# Information a category may require in the customer's words (step 1's completeness check):
# key → (what it is called, how it is recognised).
INFO_ITEMS: dict[str, tuple[str, re.Pattern[str]]] = {
    "order_number": ("your order number",
                     re.compile(r"\b(?:order|ord|#)\s*(?:number|no\.?|nr\.?|#)?\s*[:#]?\s*"
                                r"[A-Z0-9-]*\d{4,}[A-Z0-9-]*\b", re.IGNORECASE)),
    "email": ("the e-mail address of your account",
              re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")),
    "phone": ("a phone number we can call you on",
              re.compile(r"(?:\+|\b)\d[\d ()./-]{7,}\d\b")),
    "account": ("your account number or username",
                re.compile(r"\b(?:account|acct|customer|user(?:name)?)\s*(?:id|no\.?|number|#)?"
                           r"\s*[:#]?\s*[A-Za-z0-9_.-]*\d[A-Za-z0-9_.-]*\b", re.IGNORECASE)),
    "amount": ("the amount concerned",
               re.compile(r"(?:[$€£]\s*\d|\b\d+(?:[.,]\d{2})?\s*(?:eur|usd|gbp|euros?|dollars?|"
                          r"pounds?)\b)", re.IGNORECASE)),
    "date": ("when it happened",
             re.compile(r"\b(?:\d{1,2}[./-]\d{1,2}(?:[./-]\d{2,4})?|\d{4}-\d{2}-\d{2}|"
                        r"yesterday|today|last (?:week|night|month)|on (?:mon|tues|wednes|thurs|"
                        r"fri|satur|sun)day|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
                        r"[a-z]*\.? \d{1,2})\b", re.IGNORECASE)),
}  # fmt: skip


def missing_information(text: str, required: list[str]) -> list[str]:
    """What of the required items (INFO_ITEMS keys) the customer's words do not contain, as
    they are called; unknown keys are ignored."""
    return [
        INFO_ITEMS[k][0] for k in required if k in INFO_ITEMS and not INFO_ITEMS[k][1].search(text)
    ]


def clarification(missing: list[str]) -> str:
    """The question to send the customer for what is missing."""
    if not missing:
        return ""
    listed = missing[0] if len(missing) == 1 else ", ".join(missing[:-1]) + " and " + missing[-1]
    return f"Thank you for your message. So that we can help you, could you send us {listed}?"


@dataclass(frozen=True)
class Scored:
    score: int  # 0–100
    reasons: list[str] = field(default_factory=list)

    @property
    def level(self) -> str:
        return "high" if self.score >= HIGH else "medium" if self.score >= MEDIUM else "low"


def _scored(parts: list[tuple[int, str]]) -> Scored:
    return Scored(min(100, sum(points for points, _ in parts)), [why for _, why in parts])


def urgency(
    text: str,
    *,
    repeat_contact: bool = False,
    vip: bool = False,
    sla_at_risk: bool = False,
) -> Scored:
    """Outage words (40), a very negative customer (25; negative: 10), a repeat contact
    (20), a VIP customer (25), the first-reply target at risk (20)."""
    parts: list[tuple[int, str]] = []
    found = OUTAGE.search(text)
    if found:
        parts.append((40, f"outage or urgency words (“{found.group(0)}”)"))
    mood = sentiment(text) if text.strip() else 0.0
    if mood <= -0.5:
        parts.append((25, f"very negative customer (sentiment {mood:+.2f})"))
    elif mood <= -0.05:
        parts.append((10, f"negative customer (sentiment {mood:+.2f})"))
    if repeat_contact:
        parts.append((20, "repeat contact: the customer wrote about this category lately"))
    if vip:
        parts.append((25, "VIP customer"))
    if sla_at_risk:
        parts.append((20, "no reply yet and the first-reply target is passed"))
    return _scored(parts)


def complexity(text: str, *, category_weight: int = 0, category: str = "") -> Scored:
    """Several issues in one request (15 each beyond the first, up to 45: joining words and
    questions), length (over 120 words 20; over 60 10), the category's own weight (its
    conversations' usual length of handling, given by the caller, 0–30)."""
    parts: list[tuple[int, str]] = []
    joins = len(ANOTHER_ISSUE.findall(text))
    questions = text.count("?")
    issues = 1 + max(joins, questions - 1 if questions > 1 else 0)
    if issues > 1:
        parts.append((min(45, 15 * (issues - 1)), f"about {issues} issues in one request"))
    words = len(text.split())
    if words > 120:
        parts.append((20, f"long request ({words} words)"))
    elif words > 60:
        parts.append((10, f"longer request ({words} words)"))
    if category_weight > 0:
        parts.append((min(30, category_weight), f"{category or 'the category'} usually takes "
                      "longer to resolve"))  # fmt: skip
    return _scored(parts)
