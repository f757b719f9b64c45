"""Rule-based AutoQA: detectors that rate one conversation and show their evidence.

Every detector returns a `Finding`: a score from 0 (below expectations) to 1 (exceeds), or None
when it does not apply to the conversation; a confidence from 0 to 1; the evidence (message
index and character span); and a one-line explanation a reviewer can check against the
transcript. `score_criteria` turns findings into ratings of scorecard criteria through a
mapping table (`DEFAULT_MAPPING`, documented in docs/autoqa.md).

Phrase lists, service-level targets and rules are per-organisation settings (`Rules`), with
English defaults. Matching works on lower-cased text with word boundaries; each list is one
compiled alternation, so a conversation costs a few dozen regex scans.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

from supportqa.core.redact import find_pii

CUSTOMER, AGENT = "customer", "agent"


@dataclass(frozen=True)
class Turn:
    author_kind: str  # customer, agent, bot, note (notes and bots are never rated)
    text: str
    sent_at: datetime


@dataclass(frozen=True)
class Evidence:
    message: int  # index into the conversation's turns
    start: int
    end: int


@dataclass(frozen=True)
class Finding:
    detector: str
    score: float | None  # 0 below … 1 exceeds; None: does not apply here
    confidence: float
    explanation: str
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class Rules:
    """An organisation's AutoQA settings. Phrases are matched case-insensitively as whole
    words; targets are seconds per channel."""

    greetings: tuple[str, ...] = (
        "hello", "hi", "hey", "good morning", "good afternoon", "good evening", "welcome",
        "thanks for contacting", "thank you for contacting", "thanks for reaching out",
        "thank you for reaching out", "greetings",
    )  # fmt: skip
    gratitude: tuple[str, ...] = (
        "thank you", "thanks", "thank u", "much appreciated", "i appreciate", "we appreciate",
        "appreciate your", "grateful",
    )  # fmt: skip
    apology: tuple[str, ...] = (
        "sorry", "apologize", "apologise", "apologies", "my apologies", "regret",
    )  # fmt: skip
    empathy: tuple[str, ...] = (
        "i understand", "i can understand", "i can imagine", "that must be", "frustrating",
        "i see how", "i hear you", "completely understand", "totally understand",
    )  # fmt: skip
    politeness: tuple[str, ...] = (
        "please", "thank you", "thanks", "happy to help", "glad to help", "my pleasure",
        "you're welcome", "you are welcome", "kindly",
    )  # fmt: skip
    rudeness: tuple[str, ...] = (
        "calm down", "not my problem", "as i already said", "as i said before", "obviously",
        "you should have", "whatever", "deal with it", "stop complaining", "read the manual",
        "i told you", "that's your problem", "that is your problem", "shut up", "stupid",
    )  # fmt: skip
    not_thanks: tuple[str, ...] = ("thanks for nothing", "no thanks to")
    follow_up_offer: tuple[str, ...] = (
        "i will follow up", "i'll follow up", "i will check back", "i'll check back",
        "i will get back to you", "i'll get back to you", "i will update you",
        "i'll update you", "i will keep you posted", "i'll keep you posted",
        "i will email you", "i'll email you", "is everything covered",
        "have i covered everything", "did that answer all",
    )  # fmt: skip
    follow_up_question: tuple[str, ...] = (
        "anything else", "let me know if", "feel free to", "don't hesitate", "do not hesitate",
        "reach out", "further questions", "other questions", "help with today",
    )  # fmt: skip
    confirmation: tuple[str, ...] = (
        "that worked", "it worked", "it works", "works now", "working now", "that fixed",
        "fixed it", "problem solved", "issue solved", "all sorted", "sorted now", "resolved",
        "that helps", "that helped", "that's helpful", "very helpful", "perfect, thanks",
        "perfect thanks", "great, thanks", "great thanks", "thanks so much",
        "thank you so much", "got it, thanks", "that's all i needed", "all good now",
    )  # fmt: skip
    not_resolved: tuple[str, ...] = (
        "still not", "still doesn't", "still does not", "still isn't", "still broken",
        "doesn't work", "does not work", "didn't work", "did not work", "not working",
        "not resolved", "not fixed", "another delay", "useless", "waste of time",
        "no help", "not helpful", "unacceptable", "again and again",
    )  # fmt: skip
    clarifying: tuple[str, ...] = (
        "could you clarify", "can you clarify", "do you mean", "did you mean",
        "could you tell me more", "can you tell me more", "just to confirm",
        "can you confirm", "could you confirm", "which one", "what exactly",
        "could you describe", "can you describe", "may i ask",
    )  # fmt: skip
    forbidden: tuple[str, ...] = (
        "guarantee", "guaranteed", "100% sure", "legal action", "sue", "lawsuit",
        "i promise",
    )  # fmt: skip
    sensitive_requests: tuple[str, ...] = (
        "your password", "your full card number", "full card number", "your pin",
        "security code", "cvv", "cvc", "your passcode", "your login details",
    )  # fmt: skip
    verification: tuple[str, ...] = (
        "verify your identity", "verify your account", "confirm your identity",
        "date of birth", "security question", "zip code", "postcode", "last four digits",
        "last 4 digits", "account has been pulled up", "purchase validation",
        "username", "email address", "order id", "account id",
    )  # fmt: skip
    account_changes: tuple[str, ...] = (
        "changed your", "updated your", "i have updated", "i've updated", "i have changed",
        "i've changed", "reset your password", "password has been reset", "refund has been",
        "refunded", "cancelled your", "canceled your", "order has been updated",
        "address has been", "issued a refund", "processed a refund", "closed your account",
        "changed the account", "updated the account", "changed the email", "changed the address",
    )  # fmt: skip
    required_disclosures: tuple[str, ...] = ()  # e.g. "this chat may be recorded"
    # Seconds: first reply after the customer's first message, and every later reply.
    first_reply_target: Mapping[str, float] = field(
        default_factory=lambda: {
            "chat": 60,
            "social": 3600,
            "email": 4 * 3600,
            "phone": 60,
            "other": 3600,
        }
    )
    reply_target: Mapping[str, float] = field(
        default_factory=lambda: {
            "chat": 120,
            "social": 3600,
            "email": 8 * 3600,
            "phone": 120,
            "other": 3600,
        }
    )
    # First names that are also ordinary words: counted only where the grammar says name
    # ("Thanks, Will." or "Will, could you…"), not in "Will you send it?".
    word_names: tuple[str, ...] = (
        "will", "grace", "joy", "hope", "mark", "bill", "rose", "faith", "summer", "april",
        "may", "june", "dawn", "sue", "pat", "frank", "art", "guy", "chase", "hunter", "max",
        "sky", "ivy", "lily", "jack", "drew", "rob", "sunny", "amber", "crystal", "victor",
    )  # fmt: skip
    # Words the spelling check accepts: product names, jargon (lower case).
    dictionary: tuple[str, ...] = (
        "app", "apps", "wifi", "chatbot", "login", "logout", "signup", "checkout", "username",
        "dropdown", "popup", "plugin", "dashboard", "screenshot", "voucher", "refundable",
    )  # fmt: skip
    # Share of agent messages that may be the organisation's frequent replies before the
    # conversation counts as scripted.
    canned_share_limit: float = 0.5

    def reply_targets(self, channel: str) -> tuple[float | None, float | None]:
        """(first reply, later replies) targets in seconds for a channel ("other" when the
        channel has none): the one service-level setting of the installation."""
        first, later = self.first_reply_target, self.reply_target
        return first.get(channel, first.get("other")), later.get(channel, later.get("other"))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Rules:
        """Defaults overridden by an admin's settings; unknown keys are an error."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown AutoQA settings: {', '.join(unknown)}")
        values: dict[str, Any] = {}
        for name, value in data.items():
            if isinstance(value, list):
                value = tuple(str(v).strip().lower() for v in value if str(v).strip())
            values[name] = value
        return replace(cls(), **values)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
            if isinstance(value, Mapping):
                out[f.name] = dict(value)
        return out


@lru_cache(maxsize=256)
def _matcher(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    if not phrases:
        return None
    ordered = sorted({p.lower() for p in phrases}, key=len, reverse=True)
    body = "|".join(re.escape(p) for p in ordered)
    return re.compile(rf"(?<![\w']){'(?:' + body + ')'}(?![\w'])")


def _find(phrases: tuple[str, ...], lowered: str) -> re.Match[str] | None:
    pattern = _matcher(phrases)
    return None if pattern is None else pattern.search(lowered)


@dataclass
class _Conversation:
    turns: Sequence[Turn]
    lowered: list[str]
    agent: list[int]  # indexes of agent messages
    customer: list[int]

    @classmethod
    def of(cls, turns: Sequence[Turn]) -> _Conversation:
        lowered = [t.text.lower() for t in turns]
        agent = [i for i, t in enumerate(turns) if t.author_kind == AGENT]
        customer = [i for i, t in enumerate(turns) if t.author_kind == CUSTOMER]
        return cls(turns, lowered, agent, customer)

    def first(
        self, phrases: tuple[str, ...], indexes: Iterable[int]
    ) -> tuple[int, re.Match[str]] | None:
        for index in indexes:
            match = _find(phrases, self.lowered[index])
            if match:
                return index, match
        return None


def _evidence(hit: tuple[int, re.Match[str]] | None) -> tuple[Evidence, ...]:
    if hit is None:
        return ()
    index, match = hit
    return (Evidence(index, match.start(), match.end()),)


def _quote(conversation: _Conversation, hit: tuple[int, re.Match[str]]) -> str:
    index, match = hit
    return f"“{conversation.turns[index].text[match.start() : match.end()]}” in message {index + 1}"


def _not_applicable(detector: str, why: str) -> Finding:
    return Finding(detector, None, 1.0, why)


# --- detectors ---------------------------------------------------------------------------------


def greeting(c: _Conversation, rules: Rules) -> Finding:
    if not c.agent:
        return _not_applicable("greeting", "The agent wrote nothing.")
    hit = c.first(rules.greetings, c.agent[:1])
    if hit:
        return Finding("greeting", 1.0, 0.9, f"Greets: {_quote(c, hit)}.", _evidence(hit))
    first = c.agent[0]
    return Finding(
        "greeting",
        0.0,
        0.8,
        f"The agent's first message (message {first + 1}) has no greeting.",
        (Evidence(first, 0, len(c.turns[first].text)),),
    )


_INTRODUCED = re.compile(r"\b(?:my name is|this is|i am|i'm)\s+([A-Z][a-z]+)")


def customer_first_name(c: _Conversation, known_name: str) -> str:
    """From the customer record, else from "my name is …" in the customer's messages."""
    if known_name.strip():
        return known_name.strip().split()[0].capitalize()
    for index in c.customer:
        match = _INTRODUCED.search(c.turns[index].text)
        if match:
            return match.group(1)
    return ""


def name_use(c: _Conversation, rules: Rules, customer_name: str) -> Finding:
    name = customer_first_name(c, customer_name)
    if not name:
        return _not_applicable("name", "The customer's name is not known.")
    if len(name) < 2:
        return _not_applicable("name", "The customer's name is too short to look for.")
    escaped = re.escape(name)
    if name.lower() in rules.word_names:
        # "Thanks, Will." / "Hi Will," / "Will, could you": a comma, greeting or end.
        pattern = re.compile(
            rf"(?:(?<=, )|(?<=\bhi )|(?<=\bhello )|(?<=\bdear )|(?<=\bthanks )){escaped}\b"
            rf"|\b{escaped}(?=\s*[,.!?]\s*|$)"
        )
    else:
        pattern = re.compile(rf"\b{escaped}\b", re.IGNORECASE)
    for index in c.agent:
        match = pattern.search(c.turns[index].text)
        if match:
            return Finding(
                "name",
                1.0,
                0.9,
                f"Uses the customer's name “{match.group()}” in message {index + 1}.",
                (Evidence(index, match.start(), match.end()),),
            )
    return Finding("name", 0.0, 0.8, f"Never uses the customer's name ({name}).")


def gratitude(c: _Conversation, rules: Rules) -> Finding:
    for index in c.agent:
        lowered = c.lowered[index]
        match = _find(rules.gratitude, lowered)
        if match and not _find(rules.not_thanks, lowered):
            hit = (index, match)
            return Finding("gratitude", 1.0, 0.9, f"Thanks the customer: {_quote(c, hit)}.", (
                Evidence(index, match.start(), match.end()),
            ))  # fmt: skip
    if not c.agent:
        return _not_applicable("gratitude", "The agent wrote nothing.")
    return Finding("gratitude", 0.0, 0.8, "The agent never thanks the customer.")


# Negative words with their VADER-style weight; a cheap cue of an upset customer.
_UPSET = re.compile(
    r"(?<![\w'])(?:angry|annoyed|annoying|frustrat\w*|furious|upset|terrible|awful|horrible|"
    r"worst|ridiculous|unacceptable|disappointed|disappointing|useless|waste|hate|broken|"
    r"never again|complain\w*|still (?:not|waiting)|not happy|fed up|again\?|sick of)(?![\w'])"
)


def upset_customer(c: _Conversation) -> tuple[int, re.Match[str]] | None:
    for index in c.customer:
        match = _UPSET.search(c.lowered[index])
        if match:
            return index, match
        match = _EXCLAIMED.search(c.turns[index].text)
        if match:
            return index, match
    return None


_EXCLAIMED = re.compile(r"!(?:[^!]*!){2,}")  # three or more exclamation marks


def empathy(c: _Conversation, rules: Rules) -> Finding:
    upset = upset_customer(c)
    if upset is None:
        return _not_applicable("empathy", "The customer does not sound upset.")
    after = [i for i in c.agent if i > upset[0]]
    hit = c.first(rules.apology + rules.empathy, after)
    if hit:
        return Finding(
            "empathy",
            1.0,
            0.8,
            f"The customer is upset (message {upset[0] + 1}); the agent acknowledges it: "
            f"{_quote(c, hit)}.",
            _evidence(upset) + _evidence(hit),
        )
    return Finding(
        "empathy",
        0.0,
        0.7,
        f"The customer is upset (message {upset[0] + 1}) and the agent neither apologises "
        "nor acknowledges it.",
        _evidence(upset),
    )


_SHOUT = re.compile(r"\b[A-Z]{3,}\b")
_ACRONYMS = frozenset(
    [
        "FAQ",
        "URL",
        "PIN",
        "CVV",
        "SMS",
        "API",
        "USA",
        "USD",
        "EUR",
        "GBP",
        "PDF",
        "ATM",
        "VAT",
        "IBAN",
        "ETA",
        "ASAP",
        "OK",
        "OTP",
        "CEO",
        "IT",
        "ID",
    ]
)


def politeness(c: _Conversation, rules: Rules) -> Finding:
    if not c.agent:
        return _not_applicable("politeness", "The agent wrote nothing.")
    rude = c.first(rules.rudeness, c.agent)
    if rude:
        return Finding("politeness", 0.0, 0.9, f"Rude wording: {_quote(c, rude)}.", _evidence(rude))
    for index in c.agent:
        text = c.turns[index].text
        shouted = [m for m in _SHOUT.finditer(text) if m.group() not in _ACRONYMS]
        if len(shouted) >= 3:
            return Finding(
                "politeness",
                0.5,
                0.7,
                f"Writes in capitals (“{' '.join(m.group() for m in shouted[:4])}”) in "
                f"message {index + 1}.",
                tuple(Evidence(index, m.start(), m.end()) for m in shouted),
            )
    polite = c.first(rules.politeness, c.agent)
    if polite:
        return Finding(
            "politeness", 1.0, 0.7, f"Courteous: {_quote(c, polite)}.", _evidence(polite)
        )
    return Finding("politeness", 0.5, 0.5, "Neutral: no rude wording, no courtesy phrases.")


_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")  # also what the spelling check reads
_SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")
_VOWEL_GROUPS = re.compile(r"[aeiouy]+")


@lru_cache(maxsize=50_000)
def _syllables(word: str) -> int:
    """Vowel groups, less a silent final e (an estimate; cached: vocabularies repeat)."""
    word = word.lower()
    count = len(_VOWEL_GROUPS.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee")) and count > 1:
        count -= 1
    return max(1, count)


def flesch_reading_ease(text: str) -> float | None:
    """Flesch (1948): 206.835 − 1.015 words/sentence − 84.6 syllables/word. None below 5 words."""
    words = _WORD.findall(text)
    if len(words) < 5:
        return None
    sentences = max(1, len(_SENTENCE_END.findall(text)))
    syllables = sum(_syllables(w) for w in words)
    return 206.835 - 1.015 * len(words) / sentences - 84.6 * syllables / len(words)


def readability(c: _Conversation, rules: Rules) -> Finding:
    scored = [(i, flesch_reading_ease(c.turns[i].text)) for i in c.agent]
    valued = [(i, s) for i, s in scored if s is not None]
    if not valued:
        return _not_applicable("readability", "The agent's messages are too short to measure.")
    mean = sum(s for _, s in valued) / len(valued)
    hardest, lowest = min(valued, key=lambda p: p[1])
    evidence = (Evidence(hardest, 0, len(c.turns[hardest].text)),)
    text = f"Reading ease {mean:.0f} (Flesch; 60+ is plain English); hardest: message {hardest + 1}"
    if mean >= 60:
        return Finding("readability", 1.0, 0.6, text + ".", evidence)
    return Finding("readability", 0.5 if mean >= 40 else 0.0, 0.6, text + ".", evidence)


_TOKEN = re.compile(r"[a-z0-9']+")
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "i",
        "you",
        "we",
        "it",
        "is",
        "are",
        "was",
        "to",
        "of",
        "and",
        "or",
        "in",
        "on",
        "for",
        "my",
        "me",
        "your",
        "this",
        "that",
        "with",
        "can",
        "do",
        "does",
        "not",
        "be",
        "have",
        "has",
        "had",
        "at",
        "so",
        "but",
        "just",
        "please",
        "hi",
        "hello",
        "thanks",
        "thank",
    ]
)


def _content_words(lowered: str) -> set[str]:
    return {t for t in _TOKEN.findall(lowered) if t not in _STOP and len(t) > 2}


def understanding(c: _Conversation, rules: Rules) -> Finding:
    """Below: the customer has to ask the same thing again. Meets: the agent needed clarifying
    questions. Exceeds: neither."""
    if not c.agent or not c.customer:
        return _not_applicable("understanding", "Needs both customer and agent messages.")
    seen: list[tuple[int, set[str]]] = []
    for index in c.customer:
        words = _content_words(c.lowered[index])
        if len(words) >= 4:
            for earlier, before in seen:
                overlap = len(words & before) / len(words | before)
                if overlap >= 0.6 and any(a for a in c.agent if earlier < a < index):
                    return Finding(
                        "understanding",
                        0.0,
                        0.6,
                        f"The customer repeats the request of message {earlier + 1} in message "
                        f"{index + 1} after the agent's answer.",
                        (
                            Evidence(earlier, 0, len(c.turns[earlier].text)),
                            Evidence(index, 0, len(c.turns[index].text)),
                        ),
                    )
            seen.append((index, words))
    hit = c.first(rules.clarifying, c.agent)
    if hit:
        return Finding(
            "understanding", 0.5, 0.5, f"Asks to clarify: {_quote(c, hit)}.", _evidence(hit)
        )
    return Finding("understanding", 1.0, 0.4, "No clarification needed and no repeated request.")


def resolution(c: _Conversation, rules: Rules, status: str, reopen_count: int) -> Finding:
    last_customer = c.customer[-2:]
    unresolved = c.first(rules.not_resolved, reversed(last_customer))
    if unresolved:
        return Finding(
            "resolution",
            0.0,
            0.8,
            f"The customer says it is not solved: {_quote(c, unresolved)}.",
            _evidence(unresolved),
        )
    if reopen_count:
        return Finding("resolution", 0.0, 0.7, f"Reopened {reopen_count} time(s).")
    confirmed = c.first(rules.confirmation, reversed(last_customer))
    if confirmed:
        return Finding(
            "resolution",
            1.0,
            0.8,
            f"The customer confirms: {_quote(c, confirmed)}.",
            _evidence(confirmed),
        )
    if status in ("resolved", "closed"):
        return Finding("resolution", 0.5, 0.5, f"Marked {status}; the customer did not confirm.")
    return Finding("resolution", 0.0, 0.5, f"Still {status or 'open'}, with no confirmation.")


def reply_waits(
    turns: Sequence[Turn], first_target: float, later_target: float
) -> list[tuple[int, float, float]]:
    """(agent message index, seconds the customer had waited, its target) for each agent
    reply to a waiting customer, timed from the first unanswered customer message. The first
    reply has the first-reply target, later ones the reply target. The transcript's slow-reply
    flags and the response-time detector both use this."""
    waits: list[tuple[int, float, float]] = []
    waiting_since: datetime | None = None
    answered_before = False
    for index, turn in enumerate(turns):
        if turn.author_kind == CUSTOMER and waiting_since is None:
            waiting_since = turn.sent_at
        elif turn.author_kind == AGENT and waiting_since is not None:
            seconds = max(0.0, (turn.sent_at - waiting_since).total_seconds())
            waits.append((index, seconds, later_target if answered_before else first_target))
            answered_before, waiting_since = True, None
    return waits


def response_time(c: _Conversation, rules: Rules, channel: str) -> Finding:
    """Each agent reply against the channel's target, timed from the customer message it
    answers. Exceeds: all within half the target; meets: at least 90% within it."""
    first_target, later_target = rules.reply_targets(channel)
    if not first_target or not later_target:
        return _not_applicable("response_time", f"No response-time target for {channel}.")
    waits = reply_waits(c.turns, first_target, later_target)
    if not waits:
        return _not_applicable("response_time", "The agent never replied to the customer.")
    slowest = max(waits, key=lambda w: w[1] / w[2])
    index, seconds, target = slowest
    within = sum(1 for _, s, t in waits if s <= t) / len(waits)
    quick = all(s <= t / 2 for _, s, t in waits)
    score = 1.0 if quick else 0.5 if within >= 0.9 else 0.0
    text = (
        f"{within:.0%} of {len(waits)} replies within target; slowest: message {index + 1} "
        f"after {_duration(seconds)} (target {_duration(target)})."
    )
    return Finding("response_time", score, 0.95, text, (Evidence(index, 0, 0),))


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def follow_up(c: _Conversation, rules: Rules) -> Finding:
    closing = list(reversed(c.agent[-2:]))
    offer = c.first(rules.follow_up_offer, closing)
    if offer:
        return Finding(
            "follow_up", 1.0, 0.8, f"Offers follow-up: {_quote(c, offer)}.", _evidence(offer)
        )
    question = c.first(rules.follow_up_question, closing)
    if question:
        return Finding(
            "follow_up",
            0.5,
            0.8,
            f"Asks whether anything else is needed: {_quote(c, question)}.",
            _evidence(question),
        )
    if not c.agent:
        return _not_applicable("follow_up", "The agent wrote nothing.")
    return Finding(
        "follow_up", 0.0, 0.7, "The agent's last messages neither offer follow-up nor ask."
    )


_NUMBERS = re.compile(r"\d+")


def canned_key(text: str) -> str:
    """How a reply is compared with the organisation's frequent replies: lower case, numbers
    replaced, words only."""
    return " ".join(_TOKEN.findall(_NUMBERS.sub("0", text.lower())))


def personalization(
    c: _Conversation, name: Finding, canned: frozenset[str], limit: float
) -> Finding:
    """`name` is the conversation's name finding; `limit` the share of frequent replies
    above which the conversation counts as scripted."""
    if not c.agent:
        return _not_applicable("personalization", "The agent wrote nothing.")
    scripted = [i for i in c.agent if canned_key(c.turns[i].text) in canned]
    share = len(scripted) / len(c.agent)
    customer_words: set[str] = set()
    for index in c.customer:
        customer_words |= _content_words(c.lowered[index])
    specific: tuple[int, re.Match[str]] | None = None
    for index in c.agent:
        if index in scripted:
            continue
        for match in _TOKEN.finditer(c.lowered[index]):
            word = match.group()
            if word in customer_words and (len(word) > 4 or word.isdigit()):
                specific = (index, match)
                break
        if specific:
            break
    detail = (
        f"; picks up “{c.turns[specific[0]].text[specific[1].start() : specific[1].end()]}” "
        f"from the customer in message {specific[0] + 1}"
        if specific
        else ""
    )
    text = f"{share:.0%} of the agent's messages are the organisation's frequent replies{detail}"
    evidence = tuple(Evidence(i, 0, len(c.turns[i].text)) for i in scripted) + _evidence(specific)
    if share > limit:
        return Finding("personalization", 0.0, 0.7, text + ".", evidence)
    if specific and name.score == 1.0:
        return Finding("personalization", 1.0, 0.6, text + " and uses the name.", evidence)
    return Finding("personalization", 0.5, 0.5, text + ".", evidence)


def compliance(c: _Conversation, rules: Rules) -> Finding:
    """Breaks: asking for secrets, forbidden promises, exposing payment or identity numbers,
    account changes before any identity check. Minor: a required disclosure missing."""
    asked = c.first(rules.sensitive_requests, c.agent)
    if asked:
        return Finding(
            "compliance", 0.0, 0.9, f"Asks for secret data: {_quote(c, asked)}.", _evidence(asked)
        )
    promised = c.first(rules.forbidden, c.agent)
    if promised:
        return Finding(
            "compliance",
            0.0,
            0.7,
            f"Forbidden wording: {_quote(c, promised)}.",
            _evidence(promised),
        )
    for index in c.agent:
        text = c.turns[index].text
        if not _DIGIT_RUN.search(text):  # card, IBAN and id numbers all have 6+ digits
            continue
        exposed = [s for s in find_pii(text) if s.kind in _SECRET_PII]
        if exposed:
            span = exposed[0]
            return Finding(
                "compliance",
                0.0,
                0.9,
                f"Exposes a {span.kind.lower().replace('_', ' ')} in message {index + 1}.",
                tuple(Evidence(index, s.start, s.end) for s in exposed),
            )
    change = c.first(rules.account_changes, c.agent)
    if change:
        checked = c.first(
            rules.verification, [i for i in range(change[0]) if c.turns[i].author_kind != "note"]
        )
        if checked is None:
            return Finding(
                "compliance",
                0.0,
                0.7,
                f"Changes the account ({_quote(c, change)}) without verifying identity first.",
                _evidence(change),
            )
    agent_text = [c.lowered[i] for i in c.agent]
    missing = [d for d in rules.required_disclosures if not any(d in t for t in agent_text)]
    if missing:
        return Finding("compliance", 0.5, 0.8, f"Missing disclosure: “{missing[0]}”.")
    return Finding("compliance", 1.0, 0.6, "No policy problem found.")


_SECRET_PII = frozenset({"CARD", "IBAN", "NATIONAL_ID"})
_DIGIT_RUN = re.compile(r"\d[\d \-]{5,}")


@dataclass(frozen=True)
class Step:
    name: str
    pattern: str  # a regular expression, matched case-insensitively


def ordered_steps(turns: Sequence[Turn], steps: Sequence[Step]) -> Finding:
    """Required steps of a procedure, in their order (e.g. an ABCD guideline's actions: pull
    up the account, validate the purchase, … ). Exceeds: all done in order; meets: those done
    are in order but some are missing; below: a step done before one it must follow."""
    found: list[tuple[Step, int, re.Match[str]]] = []
    for step in steps:
        pattern = re.compile(step.pattern, re.IGNORECASE)
        for index, turn in enumerate(turns):
            match = pattern.search(turn.text)
            if match:
                found.append((step, index, match))
                break
    evidence = tuple(Evidence(i, m.start(), m.end()) for _, i, m in found)
    done = [s.name for s, _, _ in found]
    missing = [s.name for s in steps if s.name not in done]
    positions = [i for _, i, _ in found]
    for (a, ia, _), (b, ib, _) in zip(found, found[1:], strict=False):
        if ib < ia:
            return Finding(
                "procedure",
                0.0,
                0.8,
                f"“{b.name}” (message {ib + 1}) comes before “{a.name}” (message {ia + 1}).",
                evidence,
            )
    if not missing:
        return Finding("procedure", 1.0, 0.8, f"All {len(steps)} steps, in order.", evidence)
    return Finding(
        "procedure",
        0.5 if positions else 0.0,
        0.6,
        f"Done in order: {', '.join(done) or 'none'}; missing: {', '.join(missing)}.",
        evidence,
    )


@lru_cache(maxsize=1)
def _english() -> Any:
    """pyspellchecker's English word list (160,000 words with frequencies), loaded once."""
    from spellchecker import SpellChecker

    return SpellChecker(distance=1).word_frequency.dictionary


# British spellings of words the (American) list knows: colour → color, organise → organize.
_BRITISH = (
    ("our", "or"), ("ours", "ors"), ("ise", "ize"), ("ised", "ized"), ("ising", "izing"),
    ("isation", "ization"), ("yse", "yze"), ("tre", "ter"), ("lled", "led"), ("lling", "ling"),
    ("ogue", "og"), ("ence", "ense"),
)  # fmt: skip
_SKIP = re.compile(r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\S*\d\S*")


@lru_cache(maxsize=100_000)
def _known(word: str) -> bool:
    """Whether a lower-case word is spelled right, allowing British spellings and
    contractions of known words. Cached: a support team's vocabulary repeats."""
    words = _english()
    if word in words:
        return True
    if "'" in word and word.split("'")[0] in words:
        return True
    return any(word.endswith(uk) and word[: -len(uk)] + us in words for uk, us in _BRITISH)


def misspellings(text: str, dictionary: frozenset[str]) -> list[tuple[int, int, str]]:
    """(start, end, word) of words neither the English list nor the organisation's dictionary
    knows. Links, e-mail addresses and anything with a digit (order numbers, codes) are
    skipped, as are words in capitals (acronyms, codes) and capitalised words inside a
    sentence (names, products); so are words of one or two letters."""
    blanked = _SKIP.sub(lambda m: " " * len(m.group()), text) if _HAS_SKIPPABLE(text) else text
    out = []
    for match in _WORD.finditer(blanked):
        word = match.group()
        if len(word) < 3 or word.isupper() or not word[1:].islower():
            continue
        if word[0].isupper():
            before = match.start() - 1
            while before >= 0 and blanked[before].isspace():
                before -= 1
            if before >= 0 and blanked[before] not in ".!?":
                continue  # a name or product inside a sentence
        lowered = word.lower()
        if lowered in dictionary or _known(lowered):
            continue
        out.append((match.start(), match.end(), word))
    return out


_HAS_SKIPPABLE = re.compile(r"\d|@|://|www\.").search


def spelling(c: _Conversation, rules: Rules) -> Finding:
    dictionary = frozenset(rules.dictionary)
    found: list[Evidence] = []
    words = 0
    for index in c.agent:
        text = c.turns[index].text
        words += len(_WORD.findall(text))
        found.extend(Evidence(index, s, e) for s, e, _ in misspellings(text, dictionary))
    if words < 5:
        return _not_applicable("spelling", "The agent wrote too little to check.")
    if not found:
        return Finding("spelling", 1.0, 0.7, f"No spelling mistakes in {words} words.")
    listed = ", ".join(f"“{c.turns[e.message].text[e.start : e.end]}”" for e in found[:5])
    per_hundred = 100 * len(found) / words
    score = 0.5 if per_hundred <= 2 else 0.0
    return Finding(
        "spelling",
        score,
        0.7,
        f"{len(found)} unknown word(s) in {words} ({per_hundred:.1f} per 100): {listed}.",
        tuple(found),
    )


# --- the whole conversation --------------------------------------------------------------------

DETECTORS = (
    "greeting",
    "name",
    "gratitude",
    "empathy",
    "politeness",
    "readability",
    "spelling",
    "understanding",
    "resolution",
    "response_time",
    "follow_up",
    "personalization",
    "compliance",
)


def analyse(
    turns: Sequence[Turn],
    *,
    channel: str = "chat",
    status: str = "",
    reopen_count: int = 0,
    customer_name: str = "",
    rules: Rules | None = None,
    canned: frozenset[str] = frozenset(),
) -> dict[str, Finding]:
    """Every detector's finding for one conversation, by detector name."""
    rules = rules or DEFAULT_RULES
    c = _Conversation.of(turns)
    name = name_use(c, rules, customer_name)
    findings = [
        greeting(c, rules),
        name,
        gratitude(c, rules),
        empathy(c, rules),
        politeness(c, rules),
        readability(c, rules),
        spelling(c, rules),
        understanding(c, rules),
        resolution(c, rules, status, reopen_count),
        response_time(c, rules, channel),
        follow_up(c, rules),
        personalization(c, name, canned, rules.canned_share_limit),
        compliance(c, rules),
    ]
    return {f.detector: f for f in findings}


DEFAULT_RULES = Rules()

# Which detectors inform which criterion, per default scorecard (slug → criterion key →
# detectors). Criteria left out (e.g. accuracy of information) need a human.
DEFAULT_MAPPING: dict[str, dict[str, tuple[str, ...]]] = {
    "chat-quality": {
        "response-time": ("response_time",),
        "clarity": ("readability", "spelling"),
        "tone": ("politeness", "name", "gratitude"),
        "understanding": ("understanding",),
        "resolution": ("resolution",),
        "personalization": ("personalization",),
        "follow-up": ("follow_up",),
        "compliance": ("compliance",),
    },
    "response-check": {
        "language": ("spelling", "readability"),
        "politeness": ("politeness", "empathy"),
        "guidelines": ("compliance",),
        "issue-resolution": ("resolution",),
    },
    "overall-handling": {
        "overall": ("politeness", "resolution", "response_time", "follow_up", "compliance"),
    },
}


@dataclass(frozen=True)
class CriterionRating:
    criterion: str
    score: float | None  # 0–100, or None: not applicable
    confidence: float
    findings: tuple[Finding, ...]

    @property
    def explanation(self) -> str:
        return " ".join(f.explanation for f in self.findings)

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        return tuple(e for f in self.findings for e in f.evidence)


def score_criteria(
    findings: Mapping[str, Finding], mapping: Mapping[str, Sequence[str]]
) -> dict[str, CriterionRating]:
    """Each mapped criterion's score: the confidence-weighted mean of its detectors' scores,
    0–100; None when none of them applies. Its confidence is their mean confidence."""
    out = {}
    for criterion, names in mapping.items():
        used = tuple(findings[n] for n in names if n in findings)
        applicable = [f for f in used if f.score is not None]
        if not applicable:
            out[criterion] = CriterionRating(criterion, None, 1.0, used)
            continue
        weight = sum(f.confidence for f in applicable)
        score = sum(f.score * f.confidence for f in applicable if f.score is not None) / weight
        confidence = weight / len(applicable)
        out[criterion] = CriterionRating(criterion, 100 * score, confidence, used)
    return out


def nearest_option(score: float, option_values: Sequence[float]) -> int:
    """Index of the rating option whose value (0–100) is closest to the score; ties go to the
    lower value (the stricter rating)."""
    return min(
        range(len(option_values)), key=lambda i: (abs(option_values[i] - score), option_values[i])
    )
