"""The AutoQA settings page's form: every field of `Rules` and the detector → criterion
mapping, shown with their values in force; what is saved is only what differs from the
defaults, so later improvements to a default still reach the organisation."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from django import forms

from supportqa.autoqa.models import AutoQASettings, detector_label, mapping_from
from supportqa.conversations.models import Channel
from supportqa.core.autoqa import DETECTORS, Rules
from supportqa.scorecards.models import Criterion, Scorecard

# Rules field → (label, what it does). Every field of Rules needs one (a test checks).
RULE_TEXT: dict[str, tuple[str, str]] = {
    "greetings": ("Greetings", "The agent's first message greets if it contains one."),
    "gratitude": ("Thanks", "The agent thanks the customer."),
    "not_thanks": ("Not thanks", "Contain a thanks word but are not thanks."),
    "apology": ("Apologies", "Acknowledge an upset customer (empathy)."),
    "empathy": ("Empathy", "Acknowledge an upset customer's feelings."),
    "politeness": ("Courtesy", "Courtesy phrases that make a message polite."),
    "rudeness": ("Rude phrases", "Any of these rates tone below expectations."),
    "offensive": ("Offensive words", "Profanity, insults, slurs: tone below expectations."),
    "follow_up_offer": ("Follow-up offers", "The agent offers to follow up (exceeds)."),
    "follow_up_question": ("Anything else?", "The agent asks if anything else is needed."),
    "confirmation": ("Customer confirms", "The customer says the problem is solved."),
    "not_resolved": ("Customer not satisfied", "The customer says it is not solved."),
    "clarifying": ("Clarifying questions", "The agent asks the customer to clarify."),
    "forbidden": ("Forbidden wording", "Breaks compliance wherever an agent writes it."),
    "sensitive_requests": ("Requests for secrets", "Breaks compliance: asks for a secret."),
    "verification": ("Identity checks", "An identity check before an account change."),
    "account_changes": ("Account changes", "Need an identity check earlier in the chat."),
    "required_disclosures": (
        "Required disclosures",
        "Every conversation must contain each, e.g. “this chat may be recorded”.",
    ),
    "word_names": ("Names that are words", "Count as a name only where grammar says so."),
    "dictionary": ("Spelling dictionary", "Words the spelling check accepts (products…)."),
    "first_reply_target": ("First reply", "From the customer's first message."),
    "reply_target": ("Later replies", "For every later reply."),
    "canned_share_limit": (
        "Scripted share limit",
        "Share of agent messages that may be frequent replies before a conversation counts "
        "as scripted (0–1).",
    ),
}
TARGETS = ("first_reply_target", "reply_target")


class DurationField(forms.CharField):
    """A response time as people write it: "1h 30m", "45m", "90s", "2h", "1:30" (hours and
    minutes) or a bare number of minutes; kept as seconds, shown the same way back."""

    PART = re.compile(r"([0-9]+)([hms])")
    UNITS = {"h": 3600, "m": 60, "s": 1}

    def __init__(self, *, max_seconds: int, **kwargs: Any) -> None:
        self.max_seconds = max_seconds
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int):
            return seconds_text(value)
        return value

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        text = str(value or "").strip().lower().replace(" ", "")
        if not text:
            return None
        seconds = _seconds(text, self.PART, self.UNITS) if len(text) <= 20 else None
        if seconds is None:
            raise forms.ValidationError("write a time like 1h 30m, 45m or 90s")
        if not 1 <= seconds <= self.max_seconds:
            raise forms.ValidationError(
                f"must be between 1 second and {seconds_text(self.max_seconds)}"
            )
        return seconds


def _seconds(text: str, part: re.Pattern[str], units: dict[str, int]) -> int | None:
    if re.fullmatch(r"[0-9]+", text):
        return int(text) * 60
    if re.fullmatch(r"[0-9]+:[0-5][0-9]", text):
        hours, minutes = text.split(":")
        return int(hours) * 3600 + int(minutes) * 60
    if not re.fullmatch(r"([0-9]+[hms])+", text):
        return None
    return sum(int(n) * units[unit] for n, unit in part.findall(text))


def seconds_text(seconds: int) -> str:
    """3600 → "1h", 5400 → "1h 30m", 90 → "1m 30s"."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
        f"{secs}s" if secs else "",
    ]
    return " ".join(p for p in parts if p) or "0s"


MAX_PHRASES = 500
MAX_PHRASE_CHARS = 200


class PhraseListField(forms.CharField):
    """One phrase per line; blank lines are ignored. Bounded, since every phrase list becomes
    one regular expression that each message is matched against."""

    def clean(self, value: Any) -> list[str]:  # type: ignore[override]
        text: str = super().clean(value)
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if len(lines) > MAX_PHRASES:
            raise forms.ValidationError(f"at most {MAX_PHRASES} phrases ({len(lines)} given)")
        for number, line in enumerate(lines, 1):
            if len(line) > MAX_PHRASE_CHARS:
                raise forms.ValidationError(
                    f"phrase {number} is longer than {MAX_PHRASE_CHARS} characters"
                )
        return lines


def _phrase_fields() -> list[str]:
    return [f.name for f in fields(Rules) if f.name not in (*TARGETS, "canned_share_limit")]


def _mapped_criteria(
    mapping: Mapping[str, Any],
) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """For the mapped scorecards: slug → {criterion key: name} of the current version, and
    slug → scorecard name."""
    criteria: dict[str, dict[str, str]] = {}
    names: dict[str, str] = {}
    for scorecard in Scorecard.objects.filter(slug__in=list(mapping)).order_by("name"):
        version = scorecard.current_version()
        if version is not None:
            names[scorecard.slug] = scorecard.name
            criteria[scorecard.slug] = dict(
                Criterion.objects.filter(section__version=version)
                .order_by("section__position", "position", "id")
                .values_list("key", "name")
            )
    return criteria, names


class SettingsForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        rules, mapping = AutoQASettings.current()
        self.criteria, self.scorecard_names = _mapped_criteria(mapping)
        criteria = self.criteria
        for name in _phrase_fields():
            label, help_text = RULE_TEXT[name]
            self.fields[name] = PhraseListField(
                label=label,
                help_text=help_text,
                required=False,
                initial="\n".join(getattr(rules, name)),
                widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}),
            )
        for target in TARGETS:
            for channel in Channel.values:
                self.fields[f"{target}.{channel}"] = DurationField(
                    label=f"{RULE_TEXT[target][0]}, {channel}",
                    max_seconds=30 * 86400,
                    initial=int(getattr(rules, target).get(channel, 3600)),
                    widget=forms.TextInput(
                        attrs={
                            "aria-label": f"{RULE_TEXT[target][0]} target, {channel}",
                            "size": 8,
                            "inputmode": "text",
                        }
                    ),
                )
        self.fields["canned_share_limit"] = forms.FloatField(
            label=RULE_TEXT["canned_share_limit"][0],
            help_text=RULE_TEXT["canned_share_limit"][1],
            min_value=0.0,
            max_value=1.0,
            initial=rules.canned_share_limit,
        )
        for slug, named in criteria.items():
            for key, name in named.items():
                self.fields[f"map.{slug}.{key}"] = forms.MultipleChoiceField(
                    label=name,
                    choices=[(d, detector_label(d)) for d in DETECTORS],
                    required=False,
                    initial=list(mapping.get(slug, {}).get(key, ())),
                    widget=forms.CheckboxSelectMultiple,
                )

    def phrase_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in _phrase_fields()]

    def target_rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [
            (label, self[f"{TARGETS[0]}.{c}"], self[f"{TARGETS[1]}.{c}"])
            for c, label in Channel.choices
        ]

    def mapping_rows(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [
            (slug, [self[f"map.{slug}.{key}"] for key in named])
            for slug, named in self.criteria.items()
        ]

    def overrides(self) -> tuple[dict[str, Any], dict[str, dict[str, list[str]]]]:
        """(rules, mapping) as stored: the values that differ from the defaults."""
        return self._rule_overrides(), self._mapping_overrides()

    def _rule_overrides(self) -> dict[str, Any]:
        data = self.cleaned_data
        chosen: dict[str, Any] = {name: data[name] for name in _phrase_fields()}
        for target in TARGETS:
            chosen[target] = {c: data[f"{target}.{c}"] for c in Channel.values}
        chosen["canned_share_limit"] = data["canned_share_limit"]
        defaults = Rules().to_dict()
        rules = {
            name: value
            for name, value in Rules.from_dict(chosen).to_dict().items()
            if value != defaults[name]
        }
        return rules

    def _mapping_overrides(self) -> dict[str, dict[str, list[str]]]:
        data = self.cleaned_data
        mapping: dict[str, dict[str, list[str]]] = {}
        default_mapping = mapping_from({})
        for slug, named in self.criteria.items():
            for key in named:
                picked = [d for d in DETECTORS if d in data[f"map.{slug}.{key}"]]
                if set(picked) != set(default_mapping.get(slug, {}).get(key, ())):
                    mapping.setdefault(slug, {})[key] = picked
        return mapping


class EvaluateForm(forms.Form):
    """A labelled set to measure the detectors on (`supportqa autoqa evaluate`)."""

    conversations = forms.FileField(
        label="Conversations (native JSONL)",
        help_text="One conversation per line, as the native import reads them.",
    )
    labels = forms.FileField(
        label="People's labels (CSV)",
        help_text="Columns external_id, detector, label, label_kind (binary, score or "
        "applies) and an optional note.",
    )
    threshold = forms.FloatField(
        min_value=0,
        max_value=1,
        initial=0.75,
        label="A hit is a score of at least",
        help_text="For binary labels; the report also gives every other threshold.",
    )
    na = forms.ChoiceField(
        choices=[("miss", "counts as no hit"), ("skip", "is left out")],
        initial="miss",
        label="Where a detector does not apply, it",
    )
    dataset = forms.CharField(
        max_length=150,
        required=False,
        label="Name of the data set",
        help_text="Needed to show the figures on the AutoQA page, e.g. “Our Q3 reviews”.",
    )
    publish = forms.BooleanField(
        required=False,
        label="Show these figures on the AutoQA page (replacing earlier ones of this set)",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("publish") and not (data.get("dataset") or "").strip():
            self.add_error("dataset", "name the data set to show its figures")
        return data
