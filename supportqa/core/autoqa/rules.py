"""An organisation's AutoQA settings: phrase lists (matched case-insensitively as whole
words), service-level targets (seconds per channel) and limits, with English defaults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any


@dataclass(frozen=True)
class Rules:
    """An organisation's AutoQA settings. Phrases are matched case-insensitively as whole
    words; targets are seconds per channel."""

    greetings: tuple[str, ...] = (
        "hello", "hi", "hey", "good morning", "good afternoon", "good evening", "welcome",
        "thanks for contacting", "thank you for contacting", "thanks for reaching out",
        "thank you for reaching out", "greetings",
        # Chat spellings people use (MultiDoGO's opening greetings): "hai", "hii", "higood".
        "hai", "hii", "hiii", "haii", "heya", "hiya", "helo", "hallo", "hallow", "howdy",
        "higood", "higud", "haigood",
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
    # Profanity, insults and slurs, each form spelled out (matching is by whole word). Mined
    # for coverage from the offensive tweets people labelled (Davidson et al. 2017).
    offensive: tuple[str, ...] = (
        "fuck", "fucks", "fucking", "fuckin", "fucked", "fucker", "motherfucker", "wtf",
        "stfu", "shit", "shits", "shitty", "bullshit", "ass", "asses", "asshole", "assholes",
        "dumbass", "jackass", "bitch", "bitches", "bitchy", "hoe", "hoes", "whore", "whores",
        "slut", "sluts", "pussy", "pussies", "cunt", "cunts", "dickhead",
        "bastard", "bastards", "twat", "wanker", "douche", "douchebag",
        "piss off", "pissed off", "moron", "morons", "idiot", "idiots", "retard", "retarded",
        "nigga", "niggas", "niggah", "nigger", "niggers", "fag", "fags", "faggot", "faggots",
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
        # What agents say in real dialogues (Schema-Guided Dialogue's REQ_MORE turns):
        "anything more", "with something else", "something else i can", "anything further",
        "assist you further", "help you further", "other assistance", "more assistance",
        "additional assistance", "any other thing", "anything other", "what else can",
        "what else may", "what else do you", "what else would you", "what else is there",
        "else can i", "else i can", "else may i", "else could i", "else to help",
        "any more help", "more help", "additional help", "extra help", "any other help",
        "any other questions", "any other request", "anything i can help", "any other service",
        "else you need", "else you would like", "else you'd like", "else you want",
        "other way i can", "any other way", "any other information", "any other things",
        "another task", "further assistance", "further help", "assist further", "help further",
        "help you out further", "anymore help", "assist you more", "help you more",
        "help you again", "more you need", "more can i", "anything for you",
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


DEFAULT_RULES = Rules()
