"""How polite a message reads: the politeness strategies of Danescu-Niculescu-Mizil et al.
(2013, "A computational approach to politeness", Table 3), each detected by our own patterns,
weighed by a logistic regression fitted to people's judgements of the Stanford Politeness
Corpus (top against bottom quartile; docs/autoqa.md gives its cross-validated accuracy).

`polite_probability(text)` is the chance that people would put the message in the polite
quarter rather than the impolite one; `cues(text)` names the strategies found, for the
explanation a reviewer reads.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

# Strategy → (weight, what it is called in an explanation). Fitted with scikit-learn's
# LogisticRegression(C=0.3) on the 1,454 binary rows of the shared Stanford set; 10-fold
# cross-validated accuracy 66.2% (the phrase rules alone: 55.4%).
WEIGHTS: dict[str, tuple[float, str]] = {
    "gratitude": (1.804, "thanks"),
    "deference": (1.043, "opens with praise"),
    "greeting": (0.928, "greets"),
    "positive": (0.626, "positive words"),
    "negative": (-0.333, "negative words"),
    "apology": (0.237, "apologises"),
    "please": (0.211, "please"),
    "please_start": (0.448, "starts with please"),
    "by_the_way": (0.278, "by the way"),
    "direct_question": (-0.481, "direct question (what, why, how …)"),
    "direct_start": (-0.365, "starts with so, then, and, but"),
    "could_you": (0.517, "could you, would you"),
    "can_you": (0.976, "can you, will you"),
    "first_person": (0.155, "speaks for themselves (I, my)"),
    "you_start": (-0.823, "starts with you"),
    "hedge": (0.316, "hedges (maybe, I think)"),
    "factuality": (-0.55, "insists (actually, in fact, clearly)"),
    "several_questions": (-0.255, "several questions"),
}
INTERCEPT = -0.144

_POSITIVE = frozenset((
    "great", "good", "nice", "helpful", "interesting", "cool", "excellent", "awesome",
    "appreciate", "appreciated", "kind", "glad", "happy", "wonderful", "fantastic", "best",
    "better", "fine", "well", "sure", "agree", "welcome", "correct", "right", "love", "perfect",
))  # fmt: skip
_NEGATIVE = frozenset((  # strong words only: "problem", "failed", "wrong item" are service facts
    "bad", "stupid", "ridiculous", "crap", "useless", "nonsense", "worse", "worst", "annoying",
    "silly", "hate", "terrible", "pointless", "absurd", "garbage", "lame", "idiot", "dumb",
))  # fmt: skip
_HEDGES = frozenset((
    "think", "thought", "maybe", "perhaps", "suggest", "suggests", "seem", "seems", "seemed",
    "might", "guess", "possibly", "probably", "wonder", "wondering", "believe", "assume",
    "likely", "appear", "appears", "somewhat", "could",
))  # fmt: skip
_PRAISE = frozenset(("great", "good", "nice", "interesting", "cool", "excellent", "awesome"))
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")
_WORDS = re.compile(r"[a-z']+")
_PATTERNS = {
    "gratitude": re.compile(r"\bthank|\bappreciat"),
    "apology": re.compile(r"\bsorry\b|\bapolog|\bexcuse me\b|\bforgive\b|\bw?oops\b"),
    "please": re.compile(r"\bplease\b"),
    "by_the_way": re.compile(r"\bby the way\b|\bbtw\b"),
    "could_you": re.compile(r"\b(?:could|would) you\b"),
    "can_you": re.compile(r"\b(?:can|will) you\b"),
    "first_person": re.compile(r"\b(?:i|my|mine|me|myself)\b"),
    "factuality": re.compile(
        r"\bin fact\b|\bactually\b|\breally\b|\bthe point\b|\bthe (?:reality|truth)\b"
        r"|\bobviously\b|\bclearly\b"
    ),
}


@lru_cache(maxsize=20_000)
def strategies(text: str) -> frozenset[str]:
    """The politeness strategies a message uses (keys of WEIGHTS)."""
    low = text.lower()
    sentences = [s for s in _SENTENCES.split(low) if s.strip()]
    openers = [(_WORDS.findall(s) or [""])[0] for s in sentences]
    words = set(_WORDS.findall(low))
    found = {name for name, pattern in _PATTERNS.items() if pattern.search(low)}
    if "please" in found and any(w == "please" for w in openers):
        found.discard("please")
        found.add("please_start")
    checks = {
        "deference": any(w in _PRAISE for w in openers),
        "greeting": any(w in ("hi", "hello", "hey") for w in openers),
        "positive": bool(words & _POSITIVE),
        "negative": bool(words & _NEGATIVE),
        "direct_question": any(
            w in ("what", "why", "who", "how", "where", "when") for w in openers
        ),
        "direct_start": any(w in ("so", "then", "and", "but", "or") for w in openers),
        "you_start": any(w in ("you", "your") for w in openers),
        "hedge": bool(words & _HEDGES),
        "several_questions": low.count("?") > 1,
    }
    found.update(name for name, present in checks.items() if present)
    return frozenset(found)


def polite_probability(text: str) -> float:
    """The chance people would judge the message polite rather than impolite."""
    z = INTERCEPT + sum(WEIGHTS[name][0] for name in strategies(text))
    return 1 / (1 + math.exp(-z))


def cues(text: str) -> tuple[list[str], list[str]]:
    """The strategies found that make the message read politer, and those that make it read
    ruder, strongest first, in words."""
    found = sorted(strategies(text), key=lambda name: -abs(WEIGHTS[name][0]))
    polite = [WEIGHTS[n][1] for n in found if WEIGHTS[n][0] > 0.1]
    rude = [WEIGHTS[n][1] for n in found if WEIGHTS[n][0] < -0.1]
    return polite, rude
