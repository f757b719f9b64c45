"""The detectors, each named once in REGISTRY: its name is what findings, settings, the
mapping to criteria and the pages use. A detector reads the transcript and the facts about
the conversation and returns an Outcome (score, confidence, explanation, evidence);
`analyse` runs every registered detector and names the results."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from supportqa.core.autoqa.politeness import cues, polite_probability
from supportqa.core.autoqa.rules import DEFAULT_RULES, Rules
from supportqa.core.autoqa.text import (
    TOKEN,
    WORD,
    Evidence,
    Transcript,
    Turn,
    canned_key,
    content_words,
    could_be_name,
    evidence_of,
    find,
    find_all,
    misspellings,
    quote,
    reading_level,
    reply_waits,
    unknown_word,
)
from supportqa.core.redact import find_pii


@dataclass(frozen=True)
class Outcome:
    """What a detector says about one conversation."""

    score: float | None  # 0 below … 1 exceeds; None: does not apply here
    confidence: float
    explanation: str
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class DetectorResult(Outcome):
    """An Outcome with the name of the detector that gave it."""

    detector: str = ""


def not_applicable(why: str) -> Outcome:
    return Outcome(None, 1.0, why)


def greeting(c: Transcript, rules: Rules) -> Outcome:
    if not c.agent:
        return not_applicable("The agent wrote nothing.")
    hit = c.first(rules.greetings, c.agent[:1])
    if hit:
        return Outcome(1.0, 0.9, f"Greets: {quote(c, hit)}.", evidence_of(hit))
    first = c.agent[0]
    return Outcome(
        0.0,
        0.8,
        f"The agent's first message (message {first + 1}) has no greeting.",
        (Evidence(first, 0, len(c.turns[first].text)),),
    )


_INTRODUCED = re.compile(r"\b(?i:my name is|this is|i am|i'm)\s+([A-Z][a-z]+)")
# In lower case (chat often is): after "my name is" a name-like word will do; after "i am" or
# "this is" only a word the dictionary does not know ("im gowri", not "im frustrated").
_NAMED_LOWER = re.compile(r"(?:\bmy name is|\bmy name's|\bmy name|\bmyself|^name:?)\s+([a-z]+)")
_INTRODUCED_LOWER = re.compile(r"(?:\bthis is|\bi am|\bi'm|\bim|\bcall me)\s+([a-z]+)")
_ASKS_NAME = re.compile(r"\b(?:your (?:full |first )?name|name,? please|who am i speaking)")


def customer_first_name(c: Transcript, known_name: str) -> str:
    """The customer's first name: from the customer record; else where the customer says it
    ("My name is Ann", "my name is christine", "im gowri"); else the first word of the reply
    to the agent's "may I have your name?". Precision first: a wrong name makes the agent
    look as if they ignored it."""
    if known_name.strip():
        return known_name.strip().split()[0].capitalize()
    for index in c.customer:
        match = _INTRODUCED.search(c.turns[index].text)
        if match:
            return match.group(1)
        lowered = c.lowered[index]
        match = _NAMED_LOWER.search(lowered)
        if match and could_be_name(match.group(1)):
            return match.group(1).capitalize()
        match = _INTRODUCED_LOWER.search(lowered)
        if match and could_be_name(match.group(1)) and unknown_word(match.group(1)):
            return match.group(1).capitalize()
    asked = False
    for index, turn in enumerate(c.turns):
        if turn.author_kind == "agent":
            asked = bool(_ASKS_NAME.search(c.lowered[index]))
            continue
        words = c.lowered[index].split()
        if asked and words and could_be_name(words[0].strip(".,!")):
            return words[0].strip(".,!").capitalize()
        asked = False
    return ""


def name_use(c: Transcript, rules: Rules, customer_name: str) -> Outcome:
    name = customer_first_name(c, customer_name)
    if not name:
        return not_applicable("The customer's name is not known.")
    if len(name) < 2:
        return not_applicable("The customer's name is too short to look for.")
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
            return Outcome(
                1.0,
                0.9,
                f"Uses the customer's name “{match.group()}” in message {index + 1}.",
                (Evidence(index, match.start(), match.end()),),
            )
    return Outcome(0.0, 0.8, f"Never uses the customer's name ({name}).")


_DECLINING = re.compile(r"\bno[\s,.!]*$")  # "no thanks": declining an offer, not thanking


def _thanks(lowered: str, rules: Rules) -> re.Match[str] | None:
    """The first words of thanks in a message, leaving out sarcasm ("thanks for nothing") and
    a short "no thanks" (declining, as people label it; "no, thank you so much for your help"
    still thanks)."""
    if find(rules.not_thanks, lowered):
        return None
    for match in find_all(rules.gratitude, lowered):
        declined = _DECLINING.search(lowered[: match.start()])
        if not (declined and len(lowered[match.end() :].split()) < 3):
            return match
    return None


def gratitude(c: Transcript, rules: Rules) -> Outcome:
    for index in c.agent:
        match = _thanks(c.lowered[index], rules)
        if match:
            hit = (index, match)
            return Outcome(1.0, 0.9, f"Thanks the customer: {quote(c, hit)}.", (
                Evidence(index, match.start(), match.end()),
            ))  # fmt: skip
    if not c.agent:
        return not_applicable("The agent wrote nothing.")
    return Outcome(0.0, 0.8, "The agent never thanks the customer.")


# Negative words with their VADER-style weight; a cheap cue of an upset customer.
_UPSET = re.compile(
    r"(?<![\w'])(?:angry|annoyed|annoying|frustrat\w*|furious|upset|terrible|awful|horrible|"
    r"worst|ridiculous|unacceptable|disappointed|disappointing|useless|waste|hate|broken|"
    r"never again|complain\w*|still (?:not|waiting)|not happy|fed up|again\?|sick of)(?![\w'])"
)


def upset_customer(c: Transcript) -> tuple[int, re.Match[str]] | None:
    for index in c.customer:
        match = _UPSET.search(c.lowered[index])
        if match:
            return index, match
        match = _EXCLAIMED.search(c.turns[index].text)
        if match:
            return index, match
    return None


_EXCLAIMED = re.compile(r"!(?:[^!]*!){2,}")  # three or more exclamation marks


def empathy(c: Transcript, rules: Rules) -> Outcome:
    upset = upset_customer(c)
    if upset is None:
        return not_applicable("The customer does not sound upset.")
    after = [i for i in c.agent if i > upset[0]]
    hit = c.first(rules.apology + rules.empathy, after)
    if hit:
        return Outcome(
            1.0,
            0.8,
            f"The customer is upset (message {upset[0] + 1}); the agent acknowledges it: "
            f"{quote(c, hit)}.",
            evidence_of(upset) + evidence_of(hit),
        )
    return Outcome(
        0.0,
        0.7,
        f"The customer is upset (message {upset[0] + 1}) and the agent neither apologises "
        "nor acknowledges it.",
        evidence_of(upset),
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


def politeness(c: Transcript, rules: Rules) -> Outcome:
    if not c.agent:
        return not_applicable("The agent wrote nothing.")
    rude = c.first(rules.rudeness, c.agent) or c.first(rules.offensive, c.agent)
    if rude:
        return Outcome(0.0, 0.9, f"Rude wording: {quote(c, rude)}.", evidence_of(rude))
    for index in c.agent:
        text = c.turns[index].text
        shouted = [m for m in _SHOUT.finditer(text) if m.group() not in _ACRONYMS]
        if len(shouted) >= 3:
            return Outcome(
                0.5,
                0.7,
                f"Writes in capitals (“{' '.join(m.group() for m in shouted[:4])}”) in "
                f"message {index + 1}.",
                tuple(Evidence(index, m.start(), m.end()) for m in shouted),
            )
    texts = [c.turns[i].text for i in c.agent if len(c.turns[i].text.split()) >= 3]
    polite = c.first(rules.politeness, c.agent)
    if not texts:
        if polite:
            return Outcome(1.0, 0.7, f"Courteous: {quote(c, polite)}.", evidence_of(polite))
        return Outcome(0.5, 0.5, "Neutral: no rude wording, no courtesy phrases.")
    chance = sum(polite_probability(t) for t in texts) / len(texts)
    # 0.25 to 0.75 below an even chance of reading polite, 0.75 to 1 above it; a courtesy
    # phrase of the organisation's list counts as polite whatever the model says.
    score = 0.25 + chance if chance < 0.5 else 0.75 + (chance - 0.5) / 2
    if polite:
        score = max(score, 0.75)
    raised, lowered = cues(" ".join(texts))
    reads = "polite" if score >= 0.75 else "neutral" if score >= 0.5 else "curt"
    found = "; ".join(
        part
        for part in (
            f"for: {', '.join(raised[:3])}" if raised else "",
            f"against: {', '.join(lowered[:3])}" if lowered else "",
        )
        if part
    )
    courtesy = f" Courteous: {quote(c, polite)}." if polite else ""
    return Outcome(
        round(score, 3),
        round(0.5 + abs(chance - 0.5), 3),
        f"Reads {reads}: {chance:.0%} likely to strike people as polite"
        f"{f' ({found})' if found else ''}.{courtesy}",
        evidence_of(polite),
    )


def readability(c: Transcript, rules: Rules) -> Outcome:
    """The agent's messages' mean reading level, from 1 (advanced: score 0) to 3 (elementary:
    score 1); 2.5 and above exceeds (short sentences of short, common words)."""
    read = [(i, r) for i in c.agent if (r := reading_level(c.turns[i].text)) is not None]
    if not read:
        return not_applicable("The agent's messages are too short to measure.")
    level = sum(r.level for _, r in read) / len(read)
    hardest, worst = min(read, key=lambda p: p[1].level)
    score = min(1.0, max(0.0, (level - 1) / 2))
    ease = "easy" if score >= 0.75 else "fairly easy" if score >= 0.5 else "hard"
    return Outcome(
        score,
        0.6,
        f"{ease.capitalize()} to read: level {min(max(level, 1), 3):.1f} of 3; the hardest, "
        f"message {hardest + 1}, has {worst.words_per_sentence:.0f} words a sentence and "
        f"{worst.rare_share:.0%} uncommon words.",
        (Evidence(hardest, 0, len(c.turns[hardest].text)),),
    )


def understanding(c: Transcript, rules: Rules) -> Outcome:
    """Below: the customer has to ask the same thing again. Meets: the agent needed clarifying
    questions. Exceeds: neither."""
    if not c.agent or not c.customer:
        return not_applicable("Needs both customer and agent messages.")
    repeated = _repeated_request(c)
    if repeated:
        earlier, index = repeated
        return Outcome(
            0.0,
            0.6,
            f"The customer repeats the request of message {earlier + 1} in message "
            f"{index + 1} after the agent's answer.",
            (
                Evidence(earlier, 0, len(c.turns[earlier].text)),
                Evidence(index, 0, len(c.turns[index].text)),
            ),
        )
    hit = c.first(rules.clarifying, c.agent)
    if hit:
        return Outcome(0.5, 0.5, f"Asks to clarify: {quote(c, hit)}.", evidence_of(hit))
    return Outcome(1.0, 0.4, "No clarification needed and no repeated request.")


def _repeated_request(c: Transcript) -> tuple[int, int] | None:
    """(earlier, later) customer messages of four or more content words that share at least
    60% of them (Jaccard), with an agent message in between."""
    seen: list[tuple[int, set[str]]] = []
    for index in c.customer:
        words = content_words(c.lowered[index])
        if len(words) < 4:
            continue
        for earlier, before in seen:
            overlap = len(words & before) / len(words | before)
            if overlap >= 0.6 and any(a for a in c.agent if earlier < a < index):
                return earlier, index
        seen.append((index, words))
    return None


def resolution(c: Transcript, rules: Rules, status: str, reopen_count: int) -> Outcome:
    last_customer = c.customer[-2:]
    unresolved = c.first(rules.not_resolved, reversed(last_customer))
    if unresolved:
        return Outcome(
            0.0,
            0.8,
            f"The customer says it is not solved: {quote(c, unresolved)}.",
            evidence_of(unresolved),
        )
    if reopen_count:
        return Outcome(0.0, 0.7, f"Reopened {reopen_count} time(s).")
    confirmed = c.first(rules.confirmation, reversed(last_customer))
    if confirmed:
        return Outcome(
            1.0,
            0.8,
            f"The customer confirms: {quote(c, confirmed)}.",
            evidence_of(confirmed),
        )
    if status in ("resolved", "closed"):
        return Outcome(0.5, 0.5, f"Marked {status}; the customer did not confirm.")
    return Outcome(0.0, 0.5, f"Still {status or 'open'}, with no confirmation.")


def response_time(c: Transcript, rules: Rules, channel: str) -> Outcome:
    """Each agent reply against the channel's target, timed from the customer message it
    answers. Exceeds: all within half the target; meets: at least 90% within it."""
    first_target, later_target = rules.reply_targets(channel)
    if not first_target or not later_target:
        return not_applicable(f"No response-time target for {channel}.")
    waits = reply_waits(c.turns, first_target, later_target)
    if not waits:
        return not_applicable("The agent never replied to the customer.")
    slowest = max(waits, key=lambda w: w[1] / w[2])
    index, seconds, target = slowest
    within = sum(1 for _, s, t in waits if s <= t) / len(waits)
    quick = all(s <= t / 2 for _, s, t in waits)
    score = 1.0 if quick else 0.5 if within >= 0.9 else 0.0
    text = (
        f"{within:.0%} of {len(waits)} replies within target; slowest: message {index + 1} "
        f"after {_duration(seconds)} (target {_duration(target)})."
    )
    return Outcome(score, 0.95, text, (Evidence(index, 0, 0),))


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def follow_up(c: Transcript, rules: Rules) -> Outcome:
    closing = list(reversed(c.agent[-2:]))
    offer = c.first(rules.follow_up_offer, closing)
    if offer:
        return Outcome(1.0, 0.8, f"Offers follow-up: {quote(c, offer)}.", evidence_of(offer))
    question = c.first(rules.follow_up_question, closing)
    if question:
        return Outcome(
            0.5,
            0.8,
            f"Asks whether anything else is needed: {quote(c, question)}.",
            evidence_of(question),
        )
    if not c.agent:
        return not_applicable("The agent wrote nothing.")
    return Outcome(0.0, 0.7, "The agent's last messages neither offer follow-up nor ask.")


def personalization(
    c: Transcript, name: DetectorResult, canned: frozenset[str], limit: float
) -> Outcome:
    """`name` is the conversation's name finding; `limit` the share of frequent replies
    above which the conversation counts as scripted."""
    if not c.agent:
        return not_applicable("The agent wrote nothing.")
    scripted = [i for i in c.agent if canned_key(c.turns[i].text) in canned]
    share = len(scripted) / len(c.agent)
    specific = _picked_up_word(c, scripted)
    detail = _picked_up_detail(c, specific)
    text = f"{share:.0%} of the agent's messages are the organisation's frequent replies{detail}"
    evidence = tuple(Evidence(i, 0, len(c.turns[i].text)) for i in scripted) + evidence_of(specific)
    if share > limit:
        return Outcome(0.0, 0.7, text + ".", evidence)
    if specific and name.score == 1.0:
        return Outcome(1.0, 0.6, text + " and uses the name.", evidence)
    return Outcome(0.5, 0.5, text + ".", evidence)


def _picked_up_word(c: Transcript, scripted: list[int]) -> tuple[int, re.Match[str]] | None:
    """The first word of the customer's (longer than four letters, or a number) that the
    agent repeats in a message of their own (not a frequent reply)."""
    customer_words: set[str] = set()
    for index in c.customer:
        customer_words |= content_words(c.lowered[index])
    for index in c.agent:
        if index in scripted:
            continue
        for match in TOKEN.finditer(c.lowered[index]):
            word = match.group()
            if word in customer_words and (len(word) > 4 or word.isdigit()):
                return index, match
    return None


def _picked_up_detail(c: Transcript, specific: tuple[int, re.Match[str]] | None) -> str:
    if specific is None:
        return ""
    index, match = specific
    return (
        f"; picks up “{c.turns[index].text[match.start() : match.end()]}” "
        f"from the customer in message {index + 1}"
    )


def compliance(c: Transcript, rules: Rules) -> Outcome:
    """Breaks: asking for secrets, forbidden promises, exposing payment or identity numbers,
    account changes before any identity check. Minor: a required disclosure missing."""
    breach = (
        _asks_for_secrets(c, rules)
        or _forbidden_wording(c, rules)
        or _exposes_numbers(c)
        or _unverified_account_change(c, rules)
    )
    if breach:
        return breach
    missing = _missing_disclosure(c, rules)
    if missing:
        return Outcome(0.5, 0.8, f"Missing disclosure: “{missing}”.")
    return Outcome(1.0, 0.6, "No policy problem found.")


_REQUEST = re.compile(
    r"\b(?:send|give|provide|tell|share|type|enter|confirm|need|what(?:'s| is| was)|can you"
    r"|could you|would you|please|may i have|let me have|i'll need|i will need)\b"
)
_NOT_ASKING = re.compile(r"\b(?:reset|changed|updated|new|forgot|never|don't|do not|won't)\b")


def _asks_for_secrets(c: Transcript, rules: Rules) -> Outcome | None:
    """An agent sentence that names a secret and asks for it ("please send your password"),
    not one that only mentions it ("I have reset your password", "never share your PIN")."""
    for index in c.agent:
        lowered = c.lowered[index]
        for match in find_all(rules.sensitive_requests, lowered):
            start = max(lowered.rfind(end, 0, match.start()) for end in ".!?\n") + 1
            stops = [i for end in ".!?\n" if (i := lowered.find(end, match.end())) >= 0]
            sentence = lowered[start : min(stops, default=len(lowered))]
            if _REQUEST.search(sentence) and not _NOT_ASKING.search(sentence):
                hit = (index, match)
                return Outcome(
                    0.0, 0.9, f"Asks for secret data: {quote(c, hit)}.", evidence_of(hit)
                )
    return None


def _forbidden_wording(c: Transcript, rules: Rules) -> Outcome | None:
    promised = c.first(rules.forbidden, c.agent)
    if promised is None:
        return None
    return Outcome(0.0, 0.7, f"Forbidden wording: {quote(c, promised)}.", evidence_of(promised))


def _exposes_numbers(c: Transcript) -> Outcome | None:
    """The first agent message showing a secret: a card number (13 to 19 digits passing the
    Luhn check, or right after the word card: "card no 4982…"), an IBAN, a national id number
    (or 9 digits right after "ssn"), or a password, PIN or one-time code given in full ("my
    password is nhy123"; not "the OTP is 6 digits"). An order number shaped like a card number
    but failing the Luhn check is none."""
    for index in c.agent:
        text = c.turns[index].text
        lowered = c.lowered[index]
        exposed = [
            (s.kind.lower().replace("_", " "), s.start, s.end)
            for s in (find_pii(text) if _DIGIT_RUN.search(text) else [])
            if s.kind in _SECRET_PII
        ]
        for kind, pattern in _NAMED_SECRETS:
            for m in pattern.finditer(lowered):
                group = 1 if m.group(1) is not None else 2
                if kind != "password" or _secret_like(m.group(group)):
                    exposed.append((kind, m.start(group), m.end(group)))
        if exposed:
            return Outcome(
                0.0,
                0.9,
                f"Exposes a {exposed[0][0]} in message {index + 1}.",
                tuple(Evidence(index, start, end) for _, start, end in exposed),
            )
    return None


def _unverified_account_change(c: Transcript, rules: Rules) -> Outcome | None:
    """An account change with no identity check in any message before it (notes aside)."""
    change = c.first(rules.account_changes, c.agent)
    if change is None:
        return None
    before = [i for i in range(change[0]) if c.turns[i].author_kind != "note"]
    if c.first(rules.verification, before) is not None:
        return None
    return Outcome(
        0.0,
        0.7,
        f"Changes the account ({quote(c, change)}) without verifying identity first.",
        evidence_of(change),
    )


def _missing_disclosure(c: Transcript, rules: Rules) -> str | None:
    """The first required disclosure no agent message contains."""
    agent_text = [c.lowered[i] for i in c.agent]
    missing = [d for d in rules.required_disclosures if not any(d in t for t in agent_text)]
    return missing[0] if missing else None


_SECRET_PII = frozenset({"CARD", "IBAN", "NATIONAL_ID"})
_DIGIT_RUN = re.compile(r"\d[\d \-]{5,}")
_CARD_DIGITS = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")


def _secret_like(token: str) -> bool:
    """Whether what follows "password is" looks like a password ("nhy123", "karthick"): it
    has a digit, or is no word the dictionary knows ("your password is emailed" is none)."""
    token = token.strip(":=-")
    return any(ch.isdigit() for ch in token) or (token.isalpha() and unknown_word(token))


_ITS = r"(?:\s+(?:number|no|num|#))?\s*(?:is|:|-)?\s*"  # "card number is", "ssn:", "card no"
_UNITS = r"(?!\s+(?:digits?|characters?|letters?|numbers?|times?|minutes?|hours?|days?)\b)"
# (what is exposed, its pattern: the secret in group 1, named right before it)
_NAMED_SECRETS = (
    ("card number", re.compile(rf"\b(?:card|cc){_ITS}((?:\d[ -]?){{12,18}}\d)(?![ -]?\d)")),
    ("social security number", re.compile(
        rf"\b(?:ssn|social security(?: number)?){_ITS}(\d{{3}}[ -]?\d{{2}}[ -]?\d{{4}})(?![ -]?\d)"
    )),
    ("password", re.compile(
        r"\b(?:password|passcode|passwd|pwd|pin|otp|one time (?:password|code))\s*(?:is|:|=|-)"
        rf"\s*([^\s,.;]+){_UNITS}|\bmy (?:password|passcode|pin|otp)\s+(?!is\b)([^\s,.;]+){_UNITS}"
    )),
)  # fmt: skip


@dataclass(frozen=True)
class Step:
    name: str
    pattern: str  # a regular expression, matched case-insensitively


def ordered_steps(turns: Sequence[Turn], steps: Sequence[Step]) -> Outcome:
    """Required steps of a procedure, in their order (e.g. an ABCD guideline's actions: pull
    up the account, validate the purchase, … ). Exceeds: all done in order; meets: those done
    are in order but some are missing; below: a step done before one it must follow."""
    found = _first_mentions(turns, steps)
    evidence = tuple(Evidence(i, m.start(), m.end()) for _, i, m in found)
    swapped = _first_swap(found)
    if swapped:
        (a, ia, _), (b, ib, _) = swapped
        return Outcome(
            0.0,
            0.8,
            f"“{b.name}” (message {ib + 1}) comes before “{a.name}” (message {ia + 1}).",
            evidence,
        )
    done = [s.name for s, _, _ in found]
    missing = [s.name for s in steps if s.name not in done]
    if not missing:
        return Outcome(1.0, 0.8, f"All {len(steps)} steps, in order.", evidence)
    return Outcome(
        0.5 if found else 0.0,
        0.6,
        f"Done in order: {', '.join(done) or 'none'}; missing: {', '.join(missing)}.",
        evidence,
    )


_Mention = tuple[Step, int, re.Match[str]]


def _first_mentions(turns: Sequence[Turn], steps: Sequence[Step]) -> list[_Mention]:
    """Each step's first matching message, in the steps' order; steps never done left out."""
    found: list[_Mention] = []
    for step in steps:
        pattern = re.compile(step.pattern, re.IGNORECASE)
        for index, turn in enumerate(turns):
            match = pattern.search(turn.text)
            if match:
                found.append((step, index, match))
                break
    return found


def _first_swap(found: list[_Mention]) -> tuple[_Mention, _Mention] | None:
    """The first pair of consecutive steps done in the wrong order."""
    for first, then in zip(found, found[1:], strict=False):
        if then[1] < first[1]:
            return first, then
    return None


def spelling(c: Transcript, rules: Rules) -> Outcome:
    dictionary = frozenset(rules.dictionary)
    found: list[Evidence] = []
    words = 0
    for index in c.agent:
        text = c.turns[index].text
        words += len(WORD.findall(text))
        found.extend(Evidence(index, s, e) for s, e, _ in misspellings(text, dictionary))
    if words < 5:
        return not_applicable("The agent wrote too little to check.")
    if not found:
        return Outcome(1.0, 0.7, f"No spelling mistakes in {words} words.")
    listed = ", ".join(f"“{c.turns[e.message].text[e.start : e.end]}”" for e in found[:5])
    per_hundred = 100 * len(found) / words
    score = 0.5 if per_hundred <= 2 else 0.0
    return Outcome(
        score,
        0.7,
        f"{len(found)} unknown word(s) in {words} ({per_hundred:.1f} per 100): {listed}.",
        tuple(found),
    )


@dataclass(frozen=True)
class Facts:
    """What detectors may know besides the transcript."""

    rules: Rules
    channel: str
    status: str
    reopen_count: int
    customer_name: str
    canned: frozenset[str]
    earlier: dict[str, DetectorResult]  # the results of the detectors registered before


Detector = Callable[[Transcript, Facts], Outcome]

# Every detector, in the order they run (personalization reads the name detector's result).
REGISTRY: dict[str, Detector] = {
    "greeting": lambda c, f: greeting(c, f.rules),
    "name": lambda c, f: name_use(c, f.rules, f.customer_name),
    "gratitude": lambda c, f: gratitude(c, f.rules),
    "empathy": lambda c, f: empathy(c, f.rules),
    "politeness": lambda c, f: politeness(c, f.rules),
    "readability": lambda c, f: readability(c, f.rules),
    "spelling": lambda c, f: spelling(c, f.rules),
    "understanding": lambda c, f: understanding(c, f.rules),
    "resolution": lambda c, f: resolution(c, f.rules, f.status, f.reopen_count),
    "response_time": lambda c, f: response_time(c, f.rules, f.channel),
    "follow_up": lambda c, f: follow_up(c, f.rules),
    "personalization": lambda c, f: personalization(
        c, f.earlier["name"], f.canned, f.rules.canned_share_limit
    ),
    "compliance": lambda c, f: compliance(c, f.rules),
}
DETECTORS = tuple(REGISTRY)


def analyse(
    turns: Sequence[Turn],
    *,
    channel: str = "chat",
    status: str = "",
    reopen_count: int = 0,
    customer_name: str = "",
    rules: Rules | None = None,
    canned: frozenset[str] = frozenset(),
) -> dict[str, DetectorResult]:
    """Every registered detector's result for one conversation, by detector name."""
    transcript = Transcript.of(turns)
    facts = Facts(rules or DEFAULT_RULES, channel, status, reopen_count, customer_name, canned, {})
    for name, detect in REGISTRY.items():
        outcome = detect(transcript, facts)
        facts.earlier[name] = DetectorResult(
            outcome.score, outcome.confidence, outcome.explanation, outcome.evidence, name
        )
    return facts.earlier
