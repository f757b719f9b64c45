"""Customer sentiment per message and its trajectory over a conversation.

Scores are VADER compound scores (Hutto & Gilbert 2014, ICWSM), −1 (most negative) to +1,
from the `vaderSentiment` package's lexicon and rules (negation, intensifiers, "but",
capitals, punctuation, emoticons). VADER's own thresholds: ≤ −0.05 negative, ≥ 0.05 positive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

NEGATIVE_BELOW = -0.05
POSITIVE_ABOVE = 0.05


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def sentiment(text: str) -> float:
    return float(_analyzer().polarity_scores(text)["compound"])


def label(score: float) -> str:
    if score <= NEGATIVE_BELOW:
        return "negative"
    return "positive" if score >= POSITIVE_ABOVE else "neutral"


@dataclass(frozen=True)
class Trajectory:
    start: float  # the customer's first message
    end: float  # the customer's last message
    lowest: float

    @property
    def change(self) -> float:
        return self.end - self.start


def trajectory(customer_messages: Sequence[str]) -> Trajectory | None:
    """From the customer's messages in order; None when the customer wrote nothing."""
    scores = [sentiment(text) for text in customer_messages]
    if not scores:
        return None
    return Trajectory(scores[0], scores[-1], min(scores))
