"""What the API returns: objects named by their public codes (never database ids), times in
UTC ISO 8601, scores in points of 100."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from supportqa.accounts.models import Team, User
from supportqa.autoqa.models import Finding
from supportqa.calibration.models import CalibrationSession
from supportqa.conversations.models import Conversation, Message
from supportqa.reviews.models import Dispute, Rating, Review
from supportqa.scorecards.models import Criterion, RatingOption, Scorecard, ScorecardVersion
from supportqa.surveys.models import SurveyResponse


class Text(serializers.CharField):
    """Text in a request body: a number or a list is refused, not turned into text; its
    length is checked as sent (the importer trims it later)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(trim_whitespace=False, **options)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class Flag(serializers.BooleanField):
    """true or false in a request body (not 1, "yes" or "on")."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


def code_of(optional: bool = False) -> serializers.SlugRelatedField:
    """A related object, by its public code (null when `optional` and there is none)."""
    return serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=optional)


class PersonSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    teams = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = User
        fields = ["code", "username", "name", "role", "external_id", "is_active", "teams"]


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["code", "name"]


class MessageSerializer(serializers.ModelSerializer):
    author = code_of(optional=True)

    class Meta:
        model = Message
        fields = ["seq", "author_kind", "author", "author_name", "sent_at", "text", "attachments"]


class ConversationSerializer(serializers.ModelSerializer):
    agent = code_of(optional=True)
    team = code_of(optional=True)
    category = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    customer = code_of(optional=True)

    class Meta:
        model = Conversation
        fields = [
            "code", "source", "external_id", "channel", "subject", "customer", "agent", "team",
            "category", "urgency", "complexity", "status", "tags", "created_at",
            "first_response_at", "resolved_at", "reopen_count", "message_count",
            "first_response_seconds", "resolution_seconds",
        ]  # fmt: skip


class ConversationDetailSerializer(ConversationSerializer):
    messages = MessageSerializer(many=True, read_only=True)

    class Meta(ConversationSerializer.Meta):
        fields = [*ConversationSerializer.Meta.fields, "messages"]


class UpsertSerializer(serializers.Serializer):
    """Conversations in the native import format (docs/import-formats.md), each validated
    as one line of a native JSONL file would be."""

    source = Text(required=False, max_length=64, help_text="For conversations that name none.")
    conversations = serializers.ListField(
        child=serializers.DictField(), min_length=1, max_length=1000
    )


class ItemErrorSerializer(serializers.Serializer):
    item = serializers.IntegerField(help_text="Position in the list, from 1.")
    field = serializers.CharField()
    reason = serializers.CharField()


class UpsertResultSerializer(serializers.Serializer):
    run = serializers.CharField(help_text="The import run, on the Imports page.")
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    errors = ItemErrorSerializer(many=True)
    warnings = ItemErrorSerializer(many=True)


class SurveySerializer(serializers.ModelSerializer):
    conversation = code_of(optional=True)
    agent = code_of(optional=True)
    team = code_of(optional=True)

    class Meta:
        model = SurveyResponse
        fields = [
            "code", "source", "external_id", "conversation", "agent", "team", "csat",
            "csat_scale", "nps", "ces", "comment", "answered_at",
        ]  # fmt: skip


class OptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = RatingOption
        fields = ["label", "value", "description"]


class CriterionSerializer(serializers.ModelSerializer):
    options = OptionSerializer(many=True, read_only=True)
    section = serializers.CharField(source="section.name", read_only=True)

    class Meta:
        model = Criterion
        fields = ["key", "name", "section", "description", "weight", "critical", "allow_na",
                  "options"]  # fmt: skip


class VersionSerializer(serializers.ModelSerializer):
    criteria = serializers.SerializerMethodField()

    class Meta:
        model = ScorecardVersion
        fields = ["code", "number", "pass_threshold", "created_at", "criteria"]

    @extend_schema_field(CriterionSerializer(many=True))
    def get_criteria(self, version: ScorecardVersion) -> list[dict[str, Any]]:
        criteria = [c for s in version.sections.all() for c in s.criteria.all()]
        return CriterionSerializer(criteria, many=True).data  # type: ignore[return-value]


class ScorecardSerializer(serializers.ModelSerializer):
    current_version = serializers.SerializerMethodField()

    class Meta:
        model = Scorecard
        fields = ["code", "slug", "name", "description", "kind", "channels", "current_version"]

    @extend_schema_field(VersionSerializer(allow_null=True))
    def get_current_version(self, scorecard: Scorecard) -> dict[str, Any] | None:
        # (from the prefetched versions: `current_version()` would ask the database again)
        version = max(scorecard.versions.all(), key=lambda v: v.number, default=None)
        return None if version is None else VersionSerializer(version).data  # type: ignore[return-value]


class RatingSerializer(serializers.ModelSerializer):
    criterion = serializers.CharField(source="criterion.key", read_only=True)
    option = serializers.CharField(source="option.label", read_only=True, allow_null=True)

    class Meta:
        model = Rating
        fields = ["criterion", "option", "is_na", "score", "comment"]


class ReviewSerializer(serializers.ModelSerializer):
    conversation = code_of()
    reviewee = code_of()
    reviewer = code_of(optional=True)
    scorecard = serializers.CharField(source="scorecard_version.scorecard.slug", read_only=True)
    scorecard_version = serializers.IntegerField(source="scorecard_version.number", read_only=True)
    ratings = RatingSerializer(many=True, read_only=True)

    class Meta:
        model = Review
        fields = [
            "code", "conversation", "reviewee", "reviewer", "source", "status", "scorecard",
            "scorecard_version", "final_score", "raw_score", "critical_failed",
            "overall_comment", "submitted_at", "acknowledged_at", "ratings",
        ]  # fmt: skip


class RatingInputSerializer(serializers.Serializer):
    criterion = Text(help_text="The criterion's key.")
    option = Text(required=False, allow_null=True, max_length=100, help_text="The option's label.")
    na = Flag(default=False, help_text="Not applicable (if allowed).")
    comment = Text(required=False, allow_blank=True, default="", max_length=5000)


class ReviewInputSerializer(serializers.Serializer):
    conversation = Text(max_length=16)
    scorecard = Text(
        required=False, max_length=64, help_text="A scorecard's slug; else the best match."
    )
    ratings = RatingInputSerializer(many=True)
    overall_comment = Text(required=False, allow_blank=True, default="", max_length=10000)
    submit = Flag(default=True, help_text="False keeps it as a draft.")


class DisputeSerializer(serializers.ModelSerializer):
    review = code_of()
    raised_by = code_of()
    decided_by = code_of(optional=True)

    class Meta:
        model = Dispute
        fields = [
            "code", "review", "raised_by", "reason", "status", "created_at", "decided_by",
            "decided_at", "decision_reason", "score_before", "score_after",
        ]  # fmt: skip


class CalibrationCriterionSerializer(serializers.Serializer):
    criterion = serializers.CharField()
    alpha = serializers.FloatField(allow_null=True, help_text="Krippendorff's alpha (ordinal).")
    percent = serializers.FloatField(allow_null=True, help_text="Percent agreement.")
    ac1 = serializers.FloatField(allow_null=True, help_text="Gwet's AC1.")
    ratings = serializers.IntegerField()
    ambiguous = serializers.BooleanField()


class CalibrationResultSerializer(serializers.Serializer):
    overall_alpha = serializers.FloatField(allow_null=True)
    submitted = serializers.IntegerField()
    reference = serializers.CharField()
    criteria = CalibrationCriterionSerializer(many=True)


class CalibrationListSerializer(serializers.ModelSerializer):
    organiser = code_of()
    scorecard = serializers.CharField(source="scorecard_version.scorecard.slug", read_only=True)

    class Meta:
        model = CalibrationSession
        fields = ["code", "title", "organiser", "scorecard", "status", "created_at",
                  "revealed_at"]  # fmt: skip


class CalibrationSerializer(CalibrationListSerializer):
    results = serializers.SerializerMethodField(
        help_text="Once revealed: agreement per criterion and overall."
    )

    class Meta(CalibrationListSerializer.Meta):
        fields = [*CalibrationListSerializer.Meta.fields, "results"]

    @extend_schema_field(CalibrationResultSerializer(allow_null=True))
    def get_results(self, session: CalibrationSession) -> dict[str, Any] | None:
        from supportqa.calibration.results import session_results

        if not session.is_revealed:
            return None
        results = session_results(session)
        return {
            "overall_alpha": results.overall_alpha,
            "submitted": results.submitted,
            "reference": results.reference,
            "criteria": [
                {"criterion": r.criterion.key, "alpha": r.alpha, "percent": r.percent,
                 "ac1": r.ac1, "ratings": r.ratings, "ambiguous": r.ambiguous}
                for r in results.criteria
            ],
        }  # fmt: skip


class AssignmentSerializer(serializers.Serializer):
    conversation = serializers.CharField(source="conversation.code")
    reviewer = serializers.CharField(source="assignment.reviewer.code")
    cycle = serializers.CharField(source="assignment.cycle.code", allow_null=True)
    due_at = serializers.DateTimeField(source="assignment.due_at")
    method = serializers.CharField()
    reason = serializers.CharField()
    inclusion_probability = serializers.FloatField()
    review = serializers.CharField(source="review.code", allow_null=True)


class EstimateSerializer(serializers.Serializer):
    value = serializers.FloatField(allow_null=True)
    n = serializers.IntegerField()
    low = serializers.FloatField(allow_null=True, help_text="95% interval, lower end.")
    high = serializers.FloatField(allow_null=True, help_text="95% interval, upper end.")


class DurationSerializer(serializers.Serializer):
    median_seconds = serializers.FloatField(allow_null=True)
    mean_seconds = serializers.FloatField(allow_null=True)
    n = serializers.IntegerField()


class KpiSerializer(serializers.Serializer):
    subject = serializers.CharField(help_text="The agent's or team's code.")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    volume = serializers.IntegerField()
    iqs = EstimateSerializer()
    pass_rate = EstimateSerializer()
    csat = EstimateSerializer()
    nps = EstimateSerializer()
    ces = EstimateSerializer()
    response_rate = EstimateSerializer()
    fcr = EstimateSerializer()
    reopen_rate = EstimateSerializer()
    first_reply_on_time = EstimateSerializer()
    first_response = DurationSerializer()
    resolution = DurationSerializer()


class FindingSerializer(serializers.ModelSerializer):
    review = code_of()
    conversation = serializers.CharField(source="review.conversation.code", read_only=True)

    class Meta:
        model = Finding
        fields = ["review", "conversation", "detector", "score", "confidence", "explanation",
                  "evidence"]  # fmt: skip


class RequestSerializer(serializers.Serializer):
    """A conversation's quality-control request: where it stands (what each step captured
    is on the request's page)."""

    code = serializers.CharField()
    conversation = serializers.CharField(source="conversation.code")
    template = serializers.CharField(source="template.name")
    state = serializers.ChoiceField(choices=["open", "closed"])
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    current_step = serializers.SerializerMethodField(help_text="The step to do, if any.")

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_current_step(self, request: Any) -> str | None:
        active = [r for r in request.records.all() if r.state == "active"]
        return active[0].step.name if active else None


class CoachingSessionSerializer(serializers.Serializer):
    """A coaching session's schedule and sign-off (what was said stays on its page)."""

    code = serializers.CharField()
    agent = serializers.CharField(source="agent.code")
    coach = serializers.CharField(source="coach.code")
    starts_at = serializers.DateTimeField()
    minutes = serializers.IntegerField()
    format = serializers.CharField()
    state = serializers.CharField()
    period_first = serializers.DateField()
    period_last = serializers.DateField()
    coach_signed_at = serializers.DateTimeField(allow_null=True)
    agent_signed_at = serializers.DateTimeField(allow_null=True)
