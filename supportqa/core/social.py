"""Social media posts that mention the brand: is a post negative, is it a complaint.

Negative: VADER's compound score at or below −0.05 (core.sentiment). A complaint is a post
that reports something wrong with the service, whatever its tone. The rule, documented in
docs/voice-of-customer.md and not fitted:
  - a complaint cue ("not working", "still waiting", "refund", "charged twice", …) and a
    compound score below +0.3 (a thank-you that mentions a refund is not a complaint); or
  - a strongly negative post (compound ≤ −0.5) that is not a question about how to do
    something ("how do I …?").
"""

from __future__ import annotations

import re

from supportqa.core.sentiment import NEGATIVE_BELOW, sentiment

COMPLAINT_CUES = (
    "not working", "doesn't work", "does not work", "don't work", "isn't working", "broken",
    "still waiting", "still not", "no answer", "no response", "no reply", "nobody", "ignored",
    "refund", "charged twice", "overcharged", "double charged", "cancel", "cancelled",
    "worst", "terrible", "awful", "useless", "ridiculous", "unacceptable", "disappointed",
    "fix this", "fix it", "complain", "complaint", "scam", "waste", "lost my", "never arrived",
    "hasn't arrived", "not arrived", "late again", "crash", "crashes", "error", "can't log",
    "cannot log", "locked out", "suspended", "hacked", "stolen",
)  # fmt: skip
_CUE = re.compile("|".join(re.escape(cue) for cue in COMPLAINT_CUES))
_HOW_TO = re.compile(r"\b(how (do|can|to)|where (do|can|is)|is there a way)\b")
STRONGLY_NEGATIVE = -0.5
CUE_TONE_BELOW = 0.3


def is_negative(compound: float) -> bool:
    return compound <= NEGATIVE_BELOW


def is_complaint(text: str, compound: float) -> bool:
    lowered = text.lower().replace("’", "'")
    if _CUE.search(lowered) and compound < CUE_TONE_BELOW:
        return True
    return compound <= STRONGLY_NEGATIVE and not _HOW_TO.search(lowered)


def read(text: str) -> tuple[float, bool, bool]:
    """(compound, negative, complaint) of a post's text."""
    compound = sentiment(text)
    return compound, is_negative(compound), is_complaint(text, compound)
