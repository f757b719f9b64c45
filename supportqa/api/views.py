"""The REST API, `/api/v1/`: the pages' own scope helpers and capability checks decide what
each person (or their token) may read and write; outside them an object does not exist (404).
Lists are cursor-paginated, newest first."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, generics, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from supportqa.accounts.access import agents_for, get_agent_for_user, get_team_for_user, teams_for
from supportqa.accounts.models import Team, User
from supportqa.accounts.permissions import (
    Check,
    may_administer,
    may_browse_conversations,
    may_import,
    may_join_calibration,
    may_review,
    may_run_surveys,
    may_see_team_reports,
    may_use_coaching,
    signed_in,
)
from supportqa.api import serializers as out
from supportqa.api.auth import Allowed, Attributed, handles
from supportqa.assignments.access import cycles_for
from supportqa.assignments.models import AssignmentItem
from supportqa.autoqa.models import Finding
from supportqa.calibration.access import sessions_for
from supportqa.coaching.actions import sessions_for as coaching_sessions_for
from supportqa.conversations.access import conversations_for, get_conversation_for_user, scope_of
from supportqa.conversations.models import Conversation
from supportqa.integrations.importer import import_conversations
from supportqa.integrations.records import RowError
from supportqa.reports import metrics
from supportqa.reports.periods import PERIOD_CHOICES, custom_period, period_from
from supportqa.reviews.access import blind_to, review_source_for, reviews_for
from supportqa.reviews.actions import RatingInput, ReviewInvalid, save_review
from supportqa.reviews.forms import LAST_DAY, ConversationFilter, within_days
from supportqa.reviews.models import Dispute, Review, ReviewStatus, Source
from supportqa.scorecards.models import Scorecard
from supportqa.scorecards.picking import pick_version
from supportqa.surveys.access import answers_for
from supportqa.workflow.access import requests_for

PROBLEM = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="`detail` says what is wrong; a form's problems are keyed by field.",
)
NOT_SIGNED_IN = OpenApiResponse(PROBLEM.response, description="No token, or not a live one.")
NOT_FOUND = OpenApiResponse(
    PROBLEM.response, description="Not in the caller's scope (or no such object)."
)
TOKEN_SCOPE = OpenApiResponse(PROBLEM.response, description="The token lacks this scope.")
READ_ERRORS = {401: NOT_SIGNED_IN, 403: TOKEN_SCOPE, 404: NOT_FOUND}
LIST_ERRORS = {400: PROBLEM, **READ_ERRORS}  # lists: a wrong filter or page size


class Pages(CursorPagination):
    """Newest first; `cursor` comes from a page's `next` or `previous` link."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = "-pk"

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters

    def get_page_size(self, request: Request) -> int:
        """`page_size`, 1 to 1000 (100 when not given); anything else is refused, not
        quietly replaced."""
        given = request.query_params.getlist(self.page_size_query_param)
        if not given:
            return self.page_size
        number = given[0] if len(given) == 1 and given[0].isascii() else ""
        if not number.isdigit() or not 1 <= int(number) <= self.max_page_size:
            raise exceptions.ValidationError({"page_size": ["a whole number from 1 to 1000"]})
        return int(given[0])


class ApiView(Attributed, APIView):
    """Needs a token with this data's scope (or a signed-in session), and answers within what
    the caller's pages show them: anything else does not exist (404)."""

    # (The schema shows this docstring for every endpoint that has none of its own.)
    permission_classes = [IsAuthenticated, Allowed]
    resource = ""
    capability: Check = signed_in
    write_capability: Check | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """A query parameter given empty is refused (leave it out to mean "any"), so that
        `?since=` never quietly means everything."""
        super().initial(request, *args, **kwargs)
        if not handles(self, request):
            return  # a method the endpoint lacks: 405, whatever the parameters
        empty = sorted(name for name, value in request.query_params.lists() if "" in value)
        if empty:
            raise exceptions.ValidationError(
                {name: ["give a value, or leave the parameter out"] for name in empty}
            )


class Listing(ApiView, generics.ListAPIView):
    pagination_class = Pages
    filters: type[serializers.Serializer] | None = None

    def scoped(self, user: User) -> QuerySet[Any]:
        raise NotImplementedError

    def narrowed(self, objects: QuerySet[Any], given: dict[str, Any]) -> QuerySet[Any]:
        return objects

    def get_queryset(self) -> QuerySet[Any]:
        objects = self.scoped(self.request.user)
        if self.filters is not None:
            checked = self.filters(data=self.request.query_params)
            checked.is_valid(raise_exception=True)
            objects = self.narrowed(objects, checked.validated_data)
        return objects


class Detail(ApiView, generics.RetrieveAPIView):
    lookup_field = "code"

    def scoped(self, user: User) -> QuerySet[Any]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        return self.scoped(self.request.user)


def documented(summary: str, shows: type[serializers.Serializer], *, many: bool = True,
               parameters: list[Any] | None = None) -> Any:  # fmt: skip
    """The schema of a list's (or with `many=False`, an object's) GET."""
    responses = {200: shows(many=True), **LIST_ERRORS} if many else {200: shows, **READ_ERRORS}
    return extend_schema_view(
        get=extend_schema(summary=summary, parameters=parameters, responses=responses)
    )


def form_parameters(form: type[forms.Form], **types: Any) -> list[OpenApiParameter]:
    """A page's filter form as the endpoint's query parameters (one set of filters, one
    set of rules)."""
    params = []
    for name, field in form.base_fields.items():
        kind = types.get(name) or (
            OpenApiTypes.INT if isinstance(field, forms.IntegerField)
            else OpenApiTypes.DATE if isinstance(field, forms.DateField)
            else OpenApiTypes.STR
        )  # fmt: skip
        choices = [c for c, _ in getattr(field, "choices", []) if c != ""]
        params.append(
            OpenApiParameter(
                name, kind, description=str(field.label or ""), enum=choices or None
            )  # fmt: skip
        )
    return params


class DateRange(serializers.Serializer):
    since = serializers.DateField(required=False, help_text="From this day (inclusive).")
    until = serializers.DateField(required=False, help_text="To this day (inclusive).")

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        for name in ("since", "until"):
            if data.get(name) and data[name] > LAST_DAY:
                raise serializers.ValidationError({name: f"must be {LAST_DAY} or earlier"})
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise serializers.ValidationError({"until": "must be on or after `since`"})
        return data


# — conversations —


@documented(
    "Conversations in the caller's scope",
    out.ConversationSerializer,
    parameters=form_parameters(ConversationFilter),
)
class ConversationList(Listing):
    resource = "conversations"
    capability = may_browse_conversations
    write_capability = may_import
    serializer_class = out.ConversationSerializer

    def get_queryset(self) -> QuerySet[Conversation]:
        user = self.request.user
        form = ConversationFilter(self.request.query_params, agents=agents_for(user),
                                  teams=teams_for(user))  # fmt: skip
        if not form.is_valid():  # (as the other lists: field → messages)
            problems = form.errors.items()
            raise exceptions.ValidationError({name: list(said) for name, said in problems})
        scored = reviews_for(user).counting_toward_iqs()
        found = form.apply(conversations_for(user), scored)
        return found.select_related("agent", "team", "category", "customer")

    @extend_schema(
        summary="Create or update conversations by (source, external id)",
        description="Each item is one conversation in the native import format "
        "(docs/import-formats.md), validated as the importer validates a line; items that "
        "fail are reported by position, field and reason and the others are written. "
        "Re-sending the same items changes nothing. Admins only.",
        request=out.UpsertSerializer,
        responses={200: out.UpsertResultSerializer, 400: PROBLEM, **READ_ERRORS},
    )
    def post(self, request: Request) -> Response:
        given = out.UpsertSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        items = given.validated_data["conversations"]
        lines = "\n".join(json.dumps(item, ensure_ascii=True) for item in items)
        report = import_conversations(
            lines.encode(), kind="native", source=given.validated_data.get("source"),
            by=request.user, file_name=f"API ({len(items)} conversations)",
        )  # fmt: skip
        return Response(
            {
                "run": report.run_code,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "errors": _item_errors(report.errors),
                "warnings": _item_errors(report.warnings),
            }
        )


def _item_errors(rows: list[RowError]) -> list[dict[str, Any]]:
    return [{"item": r.line, "field": r.field, "reason": r.reason} for r in rows]


@documented("A conversation with its messages", out.ConversationDetailSerializer, many=False)
class ConversationDetail(Detail):
    resource = "conversations"
    capability = may_browse_conversations
    serializer_class = out.ConversationDetailSerializer

    def scoped(self, user: User) -> QuerySet[Conversation]:
        return (
            conversations_for(user)
            .select_related("agent", "team", "category", "customer")
            .prefetch_related("messages__author")
        )


# — surveys, people, teams, scorecards —


@documented("Survey answers of the caller's teams", out.SurveySerializer, parameters=[DateRange])
class SurveyList(Listing):
    resource = "surveys"
    capability = may_run_surveys
    serializer_class = out.SurveySerializer
    filters = DateRange

    def scoped(self, user: User) -> QuerySet[Any]:
        return answers_for(user).select_related("conversation", "agent", "team")

    def narrowed(self, objects: QuerySet[Any], given: dict[str, Any]) -> QuerySet[Any]:
        return within_days(objects, "answered_at", given.get("since"), given.get("until"))


@documented("People the caller may see (themselves at least)", out.PersonSerializer)
class PersonList(Listing):
    resource = "people"
    serializer_class = out.PersonSerializer

    def scoped(self, user: User) -> QuerySet[User]:
        people = (
            User.objects.all() if may_administer(user)
            else User.objects.filter(Q(pk__in=agents_for(user).values("pk")) | Q(pk=user.pk))
        )  # fmt: skip
        return people.prefetch_related("teams")


@documented("Teams whose pages the caller may open", out.TeamSerializer)
class TeamList(Listing):
    resource = "people"
    serializer_class = out.TeamSerializer

    def scoped(self, user: User) -> QuerySet[Team]:
        return teams_for(user)


@documented("Active scorecards with their current version's criteria", out.ScorecardSerializer)
class ScorecardList(Listing):
    resource = "scorecards"
    capability = may_review
    serializer_class = out.ScorecardSerializer

    def scoped(self, user: User) -> QuerySet[Scorecard]:
        return Scorecard.objects.filter(is_active=True).prefetch_related(
            "versions__sections__criteria__options"
        )


# — reviews, disputes, AutoQA —


class ReviewFilter(DateRange):
    conversation = out.Text(required=False, max_length=16)
    reviewee = out.Text(required=False, max_length=16, help_text="Agent's code.")
    source = serializers.ChoiceField(required=False, choices=Source.choices)
    status = serializers.ChoiceField(required=False, choices=ReviewStatus.choices)


def _reviews(user: User) -> QuerySet[Review]:
    return (
        reviews_for(user)
        .exclude(blind_to(user))
        .select_related("conversation", "reviewee", "reviewer", "scorecard_version__scorecard")
        .prefetch_related("ratings__criterion", "ratings__option")
    )


@documented(
    "Reviews the caller may read (drafts: their own)",
    out.ReviewSerializer,
    parameters=[ReviewFilter],
)
class ReviewList(Listing):
    resource = "reviews"
    write_capability = may_review
    serializer_class = out.ReviewSerializer
    filters = ReviewFilter

    def scoped(self, user: User) -> QuerySet[Review]:
        return _reviews(user)

    def narrowed(self, objects: QuerySet[Any], given: dict[str, Any]) -> QuerySet[Any]:
        for name, lookup in (("conversation", "conversation__code"),
                             ("reviewee", "reviewee__code"), ("source", "source"),
                             ("status", "status")):  # fmt: skip
            if given.get(name):
                objects = objects.filter(**{lookup: given[name]})
        return within_days(objects, "submitted_at", given.get("since"), given.get("until"))

    @extend_schema(
        summary="Review a conversation",
        description="Rates every criterion of the conversation's scorecard (by criterion key "
        "and option label, or N/A where allowed) and submits the review, or saves a draft "
        "with `submit: false`. The review counts as the caller's role's source (QA, "
        "manager, peer or self), as on the review page.",
        request=out.ReviewInputSerializer,
        responses={201: out.ReviewSerializer, 400: PROBLEM, **READ_ERRORS},
    )
    def post(self, request: Request) -> Response:
        given = out.ReviewInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        user = request.user
        conversation = get_conversation_for_user(user, data["conversation"])
        source = review_source_for(user, conversation.agent_id)
        if source is None:
            raise exceptions.PermissionDenied("you may not review this conversation")
        version = pick_version(conversation, data.get("scorecard"))
        if version is None:
            raise exceptions.ValidationError({"scorecard": "no scorecard fits this conversation"})
        by_key = {c.key: c for s in version.sections.all() for c in s.criteria.all()}
        ratings, problems = {}, {}
        for given_rating in data["ratings"]:
            criterion = by_key.get(given_rating["criterion"])
            if criterion is None:
                problems[given_rating["criterion"]] = "is not a criterion of this scorecard"
                continue
            labels = [o.label for o in criterion.options.all()]
            label = given_rating.get("option")
            if not given_rating["na"] and label not in labels:
                problems[criterion.key] = f"choose one of {', '.join(labels)} or N/A"
                continue
            ratings[criterion.code] = RatingInput(
                option_position=None if given_rating["na"] else labels.index(label),
                na=given_rating["na"], comment=given_rating["comment"],
            )  # fmt: skip
        if problems:
            raise exceptions.ValidationError({"ratings": problems})
        try:
            review = save_review(
                conversation=conversation, reviewer=user, source=source, version=version,
                ratings=ratings, overall_comment=data["overall_comment"], submit=data["submit"],
            )  # fmt: skip
        except ReviewInvalid as invalid:
            keys = {c.code: key for key, c in by_key.items()}
            raise exceptions.ValidationError(
                {keys.get(k, k): v for k, v in invalid.errors.items()}
            ) from None
        shown = _reviews(user).get(pk=review.pk)
        return Response(out.ReviewSerializer(shown).data, status=status.HTTP_201_CREATED)


@documented("A review with its ratings", out.ReviewSerializer, many=False)
class ReviewDetail(Detail):
    resource = "reviews"
    serializer_class = out.ReviewSerializer

    def scoped(self, user: User) -> QuerySet[Review]:
        return _reviews(user)


@documented("Disputes of the reviews the caller may read", out.DisputeSerializer)
class DisputeList(Listing):
    resource = "disputes"
    serializer_class = out.DisputeSerializer

    def scoped(self, user: User) -> QuerySet[Dispute]:
        return Dispute.objects.filter(review__in=reviews_for(user)).select_related(
            "review", "raised_by", "decided_by"
        )


class FindingFilter(serializers.Serializer):
    conversation = out.Text(required=False, max_length=16)
    detector = out.Text(required=False, max_length=40)


@documented(
    "AutoQA's findings on the conversations the caller may read",
    out.FindingSerializer,
    parameters=[FindingFilter],
)
class FindingList(Listing):
    resource = "autoqa"
    serializer_class = out.FindingSerializer
    filters = FindingFilter

    def scoped(self, user: User) -> QuerySet[Finding]:
        automatic = reviews_for(user).filter(source=Source.AUTOQA).exclude(blind_to(user))
        return Finding.objects.filter(review__in=automatic).select_related("review__conversation")

    def narrowed(self, objects: QuerySet[Any], given: dict[str, Any]) -> QuerySet[Any]:
        if given.get("conversation"):
            objects = objects.filter(review__conversation__code=given["conversation"])
        if given.get("detector"):
            objects = objects.filter(detector=given["detector"])
        return objects


# — calibration, assignments —


def _sessions(user: User) -> QuerySet[Any]:
    return sessions_for(user).select_related("organiser", "scorecard_version__scorecard")


@documented("Calibration sessions the caller organises or joins", out.CalibrationListSerializer)
class CalibrationList(Listing):
    resource = "calibration"
    capability = may_join_calibration
    serializer_class = out.CalibrationListSerializer  # (results: on the detail)

    def scoped(self, user: User) -> QuerySet[Any]:
        return _sessions(user)


@documented(
    "A calibration session, with its agreement once revealed", out.CalibrationSerializer, many=False
)
class CalibrationDetail(Detail):
    resource = "calibration"
    capability = may_join_calibration
    serializer_class = out.CalibrationSerializer

    def scoped(self, user: User) -> QuerySet[Any]:
        return _sessions(user)


@documented(
    "Review assignments: the caller's, and those of cycles they run", out.AssignmentSerializer
)
class AssignmentList(Listing):
    resource = "assignments"
    capability = may_review
    serializer_class = out.AssignmentSerializer

    def scoped(self, user: User) -> QuerySet[AssignmentItem]:
        mine = Q(assignment__reviewer=user) | Q(assignment__cycle__in=cycles_for(user))
        return AssignmentItem.objects.filter(
            mine, conversation__in=conversations_for(user)
        ).select_related("conversation", "assignment__reviewer", "assignment__cycle", "review")


# — KPIs —


class PeriodFilter(serializers.Serializer):
    """The pages' period choices; a page falls back to 90 days on a wrong value, the API
    says what is wrong."""

    days = serializers.ChoiceField(
        choices=[*PERIOD_CHOICES, "custom"],
        required=False,
        help_text="The last N days (default 90), or `custom` with from and to.",
        error_messages={"invalid_choice": "choose 7, 30, 90, 365 or custom"},
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()  # (`from` is a Python keyword: added here)
        fields["from"] = serializers.DateField(required=False, help_text="days=custom: first day")
        fields["to"] = serializers.DateField(required=False, help_text="days=custom: last day")
        return fields

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if data.get("days") == "custom":
            chosen = custom_period(str(data.get("from", "")), str(data.get("to", "")))
            if chosen is None:
                raise serializers.ValidationError(
                    {"from": ["with days=custom, give from and to (YYYY-MM-DD, from ≤ to, "
                              "up to today, two years at most)"]}
                )  # fmt: skip
        return data


def _kpis(request: Request, subject: str, scope: Q, reviews: QuerySet[Review]) -> Response:
    """The panel of the agent and team pages, for the same period choices."""
    PeriodFilter(data=request.query_params).is_valid(raise_exception=True)
    period, _ = period_from(request._request)
    panel = metrics.dashboard(scope, reviews, period).panel

    def estimate(e: Any) -> dict[str, Any]:
        return {"value": e.value, "n": e.n, "low": e.low, "high": e.high}

    def duration(d: Any) -> dict[str, Any]:
        return {"median_seconds": d.median, "mean_seconds": d.mean, "n": d.n}

    shares = ("iqs", "pass_rate", "csat", "nps", "ces", "response_rate", "fcr", "reopen_rate",
              "first_reply_on_time")  # fmt: skip
    return Response(
        {
            "subject": subject,
            "start": period.start,
            "end": period.end,
            "volume": panel.volume,
            **{name: estimate(getattr(panel, name)) for name in shares},
            "first_response": duration(panel.first_response),
            "resolution": duration(panel.resolution),
        }  # fmt: skip
    )


class AgentKpis(ApiView):
    resource = "kpis"

    @extend_schema(
        summary="An agent's KPIs with 95% intervals (as on the agent's page)",
        parameters=[PeriodFilter],
        responses={200: out.KpiSerializer, 400: PROBLEM, **READ_ERRORS},
    )
    def get(self, request: Request, code: str) -> Response:
        agent = get_agent_for_user(request.user, code)
        reviews = reviews_for(request.user).filter(reviewee=agent)
        return _kpis(request, agent.code, scope_of(request.user) & Q(agent=agent), reviews)


class TeamKpis(ApiView):
    resource = "kpis"
    capability = may_see_team_reports

    @extend_schema(
        summary="A team's KPIs with 95% intervals (as on the team's page)",
        parameters=[PeriodFilter],
        responses={200: out.KpiSerializer, 400: PROBLEM, **READ_ERRORS},
    )
    def get(self, request: Request, code: str) -> Response:
        team = get_team_for_user(request.user, code)
        reviews = reviews_for(request.user).filter(team=team)
        return _kpis(request, team.code, scope_of(request.user) & Q(team=team), reviews)


# — requests, coaching —


@documented("Quality-control requests of the conversations the caller may see",
            out.RequestSerializer)  # fmt: skip
class RequestList(Listing):
    resource = "requests"
    capability = may_browse_conversations
    serializer_class = out.RequestSerializer

    def scoped(self, user: User) -> QuerySet[Any]:
        return (
            requests_for(user)
            .select_related("conversation", "template")
            .prefetch_related("records__step")
        )


@documented("Coaching sessions: the caller's own, and those of the agents they coach",
            out.CoachingSessionSerializer)  # fmt: skip
class CoachingList(Listing):
    resource = "coaching"
    capability = may_use_coaching
    serializer_class = out.CoachingSessionSerializer

    def scoped(self, user: User) -> QuerySet[Any]:
        return coaching_sessions_for(user)
