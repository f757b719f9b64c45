"""The review app's forms: the scorecard form, and the conversation list's filters.

The scorecard form is parsed by hand because its fields come from the scorecard version.
Field names: `rating-<criterion code>` = option position or `na`; `comment-<code>`;
`cause-<code>` = root-cause positions; `evidence-<code>` = message positions (comma-separated).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.db.models import Avg, Exists, OuterRef, Q, QuerySet, Subquery
from django.http import QueryDict
from django.utils import timezone

from supportqa.accounts.models import Team, User
from supportqa.conversations.models import Category, Channel, Conversation
from supportqa.reviews.access import reviews_for
from supportqa.reviews.actions import RatingInput
from supportqa.reviews.models import Rating, Review
from supportqa.scorecards.models import Criterion, ScorecardVersion
from supportqa.surveys.models import SATISFIED, SurveyResponse


def position(raw: str) -> int | None:
    """A position posted by the form: ASCII digits only, at most six (no other scripts'
    digits, no 5,000-digit numbers); None for anything else."""
    raw = raw.strip()
    if raw.isascii() and raw.isdigit() and len(raw) <= 6:
        return int(raw)
    return None


def ticked_proposals(post: QueryDict, tick: str) -> dict[str, RatingInput]:
    """The criteria ticked in a dispute or flag form (`<tick>-<code>`), each with the rating
    proposed for it (`proposed-<code>`: an option's position, "na", or "" for none chosen)."""
    proposals = {}
    for key in post:
        if key.startswith(f"{tick}-") and post.get(key):
            code = key.removeprefix(f"{tick}-")
            raw = post.get(f"proposed-{code}", "")
            chosen = position(raw)
            proposals[code] = RatingInput(
                na=raw == "na",
                option_position=None if raw in ("", "na") else (-1 if chosen is None else chosen),
            )
    return proposals


def _ints(values: list[str]) -> list[int]:
    return [
        value
        for raw in values[:100]
        for part in raw.split(",")[:1000]
        if (value := position(part)) is not None
    ]


def parse_review_post(
    post: QueryDict, version: ScorecardVersion
) -> tuple[dict[str, RatingInput], str]:
    ratings: dict[str, RatingInput] = {}
    for criterion in version.parts.criteria:
        code = criterion.code
        raw = post.get(f"rating-{code}", "")
        given = RatingInput(
            na=raw == "na",
            option_position=-1 if position(raw) is None else position(raw),
            comment=post.get(f"comment-{code}", "")[:5000],
            root_cause_positions=_ints(post.getlist(f"cause-{code}")),
            evidence_seqs=_ints(post.getlist(f"evidence-{code}")),
        )
        if given.na or raw == "":
            given.option_position = None
        ratings[code] = given
    return ratings, post.get("overall_comment", "")[:10000]


def review_form_context(
    version: ScorecardVersion, review: Review | None, post: QueryDict | None
) -> dict[str, Any]:
    """Criteria with the reviewer's current choices, from the bound POST or the saved draft."""
    saved: dict[int, Any] = {}
    if review is not None and post is None:
        for rating in review.ratings.prefetch_related("root_causes", "evidence"):
            saved[rating.criterion_id] = rating
    rows = []
    for criterion in version.parts.criteria:
        options = list(criterion.options.all())
        causes = list(criterion.root_causes.all())
        if post is not None:
            choice = _posted_choice(post, criterion.code)
        else:
            choice = _saved_choice(saved.get(criterion.pk), options, causes)
        rows.append(_criterion_row(criterion, options, causes, choice))
    if post is not None:
        overall = post.get("overall_comment", "")
    else:
        overall = review.overall_comment if review else ""
    return {
        "version": version,
        "criteria_rows": rows,
        "own_review": review,
        "overall_comment": overall,
    }


# A criterion's choice on the form: the selected option ("na", a position or ""), the comment,
# the chosen root-cause positions and the evidence message positions.
_Choice = tuple[str, str, set[int], list[int]]


def _criterion_row(
    criterion: Criterion, options: list[Any], causes: list[Any], choice: _Choice
) -> dict[str, Any]:
    selected, comment, chosen_causes, evidence = choice
    return {
        "criterion": criterion,
        "options": [(str(i), o) for i, o in enumerate(options)],
        "causes": [(i, c, i in chosen_causes) for i, c in enumerate(causes)],
        "selected": selected,
        "comment": comment,
        "evidence": ",".join(str(s) for s in evidence),
    }


def _posted_choice(post: QueryDict, code: str) -> _Choice:
    return (
        post.get(f"rating-{code}", ""),
        post.get(f"comment-{code}", ""),
        set(_ints(post.getlist(f"cause-{code}"))),
        _ints(post.getlist(f"evidence-{code}")),
    )


def _saved_choice(rating: Any, options: list[Any], causes: list[Any]) -> _Choice:
    if rating is None:
        return "", "", set(), []
    if rating.is_na:
        selected = "na"
    else:
        selected = str(next(i for i, o in enumerate(options) if o.pk == rating.option_id))
    cause_ids = {c.pk for c in rating.root_causes.all()}
    return (
        selected,
        rating.comment,
        {i for i, c in enumerate(causes) if c.pk in cause_ids},
        sorted(m.seq for m in rating.evidence.all()),
    )


# --- the conversation list's filters -------------------------------------------------------

CSAT_CHOICES = [
    ("", "Any"),
    ("answered", "Answered"),
    ("low", "Dissatisfied (bottom options)"),
    ("high", "Satisfied (top two)"),
    ("none", "No answer"),
]
REVIEWED_CHOICES = [("", "Any"), ("yes", "Reviewed"), ("no", "Not reviewed")]


CAUSE_SEPARATOR = "|"  # between the criterion key and the cause label


def cause_key(criterion_key: str, label: str) -> str:
    """How a root cause is named across scorecard versions: its criterion's key and its label."""
    return f"{criterion_key}{CAUSE_SEPARATOR}{label}"


def split_cause(value: str) -> tuple[str, str] | None:
    """(criterion key, cause label) from `cause_key`'s value, or None when malformed."""
    key, separator, label = value.partition(CAUSE_SEPARATOR)
    return (key, label) if separator and key and label else None


LAST_DAY = date(9000, 12, 31)  # a filter's latest day: the day after it must still exist


def day_start(day: date) -> datetime:
    """Midnight at the start of this day in the installation's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def within_days(objects: QuerySet[Any], field: str, since: date | None,
                until: date | None) -> QuerySet[Any]:  # fmt: skip
    """`objects` whose `field` falls on the days from `since` to `until` (either may be
    missing), as a range on the field itself: `<field>__date` cannot use its index."""
    if since:
        objects = objects.filter(**{f"{field}__gte": day_start(since)})
    if until:
        objects = objects.filter(**{f"{field}__lt": day_start(until + timedelta(days=1))})
    return objects


class ConversationFilter(forms.Form):
    """Filters of the conversation list. Choices come from the user's own scope."""

    q = forms.CharField(required=False, max_length=200, label="Search subject or id")
    agent = forms.ChoiceField(required=False)
    team = forms.ChoiceField(required=False)
    channel = forms.ChoiceField(required=False, choices=[("", "Any"), *Channel.choices])
    category = forms.ChoiceField(required=False)
    since = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    csat = forms.ChoiceField(required=False, choices=CSAT_CHOICES, label="CSAT")
    score_min = forms.IntegerField(required=False, min_value=0, max_value=100, label="Score ≥")
    score_max = forms.IntegerField(required=False, min_value=0, max_value=100, label="Score ≤")
    reviewed = forms.ChoiceField(required=False, choices=REVIEWED_CHOICES)
    # A root cause tagged on a rating of a scored review: "<criterion key>|<cause label>", as
    # the root-cause page links it (`cause_key`).
    cause = forms.CharField(required=False, max_length=300, widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, agents: Iterable[User], teams: Iterable[Team], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agent"].choices = [("", "Any"), *[(a.code, a.name) for a in agents]]
        self.fields["team"].choices = [("", "Any"), *[(t.code, t.name) for t in teams]]
        self.fields["category"].choices = [("", "Any"), *Category.active()]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("since", "until"):
            if data.get(name) and data[name] > LAST_DAY:  # (add_error drops it from data)
                self.add_error(name, f"must be {LAST_DAY:%Y-%m-%d} or earlier")
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "must be on or after the start date")
        if data.get("cause") and split_cause(data["cause"]) is None:
            self.add_error("cause", "use a root cause link from the root-cause page")
        low, high = data.get("score_min"), data.get("score_max")
        if low is not None and high is not None and low > high:
            self.add_error("score_max", "must be at least the minimum score")
        return data

    def listing(self, conversations: QuerySet[Conversation], user: User) -> QuerySet[Conversation]:
        """The list's rows: filtered when the form is valid, newest first, with the latest
        CSAT and the mean score of the reviews counting toward IQS the person may open."""
        scored = reviews_for(user).counting_toward_iqs()
        if self.is_bound and self.is_valid():
            conversations = self.apply(conversations, scored)
        latest_csat = (
            SurveyResponse.objects.filter(conversation=OuterRef("pk"), csat__isnull=False)
            .order_by("-answered_at")
            .values("csat")[:1]
        )
        mean_score = (
            scored.filter(conversation=OuterRef("pk"))
            .values("conversation")
            .annotate(avg=Avg("final_score"))
            .values("avg")[:1]
        )
        return (
            conversations.select_related("agent", "team", "category")
            .annotate(csat=Subquery(latest_csat), score=Subquery(mean_score))
            .order_by("-created_at", "-id")
        )

    def apply(
        self, conversations: QuerySet[Conversation], scored: QuerySet[Review]
    ) -> QuerySet[Conversation]:
        """Narrow the conversations; score and "reviewed" filters read `scored`, the reviews
        counting toward IQS that the person may see."""
        data = self.cleaned_data
        if data.get("q"):
            conversations = conversations.filter(
                Q(subject__icontains=data["q"]) | Q(external_id=data["q"]) | Q(code=data["q"])
            )
        for name, lookup in (
            ("agent", "agent__code"),
            ("team", "team__code"),
            ("channel", "channel"),
            ("category", "category__code"),
        ):
            if data.get(name):
                conversations = conversations.filter(**{lookup: data[name]})
        conversations = within_days(conversations, "created_at", data.get("since"),
                                    data.get("until"))  # fmt: skip
        conversations = self._csat(conversations, data.get("csat"))
        conversations = self._cause(conversations, scored, data.get("cause"))
        scored = scored.filter(conversation=OuterRef("pk"))
        if data.get("reviewed") == "yes":
            conversations = conversations.filter(Exists(scored))
        elif data.get("reviewed") == "no":
            conversations = conversations.filter(~Exists(scored))
        if data.get("score_min") is not None:
            conversations = conversations.filter(
                Exists(scored.filter(final_score__gte=data["score_min"]))
            )
        if data.get("score_max") is not None:
            conversations = conversations.filter(
                Exists(scored.filter(final_score__lte=data["score_max"]))
            )
        return conversations

    @staticmethod
    def _cause(
        conversations: QuerySet[Conversation], scored: QuerySet[Review], value: str | None
    ) -> QuerySet[Conversation]:
        """Conversations with a scored review that tags this root cause on a rating."""
        found = split_cause(value or "")
        if found is None:
            return conversations
        criterion, label = found
        tagged = Rating.objects.filter(
            review__in=scored,
            review__conversation=OuterRef("pk"),
            criterion__key=criterion,
            root_causes__label=label,
        )
        return conversations.filter(Exists(tagged))

    @staticmethod
    def _csat(conversations: QuerySet[Conversation], mode: str | None) -> QuerySet[Conversation]:
        answers = SurveyResponse.objects.filter(conversation=OuterRef("pk"), csat__isnull=False)
        if mode == "answered":
            return conversations.filter(Exists(answers))
        if mode == "none":
            return conversations.filter(~Exists(answers))
        if mode == "high":
            return conversations.filter(Exists(answers.filter(SATISFIED)))
        if mode == "low":
            return conversations.filter(Exists(answers.exclude(SATISFIED)))
        return conversations
