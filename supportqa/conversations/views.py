from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Avg, OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.functional import cached_property
from django.views.decorators.http import require_GET, require_http_methods

from supportqa.accounts.access import agents_for, teams_for
from supportqa.accounts.permissions import allowed, may_browse_conversations
from supportqa.autoqa.display import panel as autoqa_panel
from supportqa.autoqa.models import service_levels
from supportqa.calibration.models import CalibrationSession
from supportqa.conversations.access import conversations_for, get_conversation_for_user
from supportqa.conversations.forms import ConversationFilter
from supportqa.conversations.models import Conversation
from supportqa.conversations.transcript import customer_trajectory, transcript
from supportqa.reviews.access import review_source_for, reviews_for
from supportqa.reviews.actions import ReviewInvalid, edit_refusal, save_review
from supportqa.reviews.forms import parse_review_post, review_form_context
from supportqa.reviews.models import Review, ReviewStatus, Source
from supportqa.scorecards.models import ScorecardVersion
from supportqa.scorecards.picking import pick_version
from supportqa.surveys.models import SurveyResponse

PAGE_SIZE = 50
COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """Counts at most COUNT_CAP matches: an exact COUNT(*) under a filter the indexes do not
    cover reads every matching row, and nobody pages through 200 pages of 50."""

    @cached_property
    def count(self) -> int:
        return self.object_list[: COUNT_CAP + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > COUNT_CAP


@allowed(may_browse_conversations)
@require_GET
def conversation_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ConversationFilter(request.GET or None, agents=agents_for(user), teams=teams_for(user))
    conversations = conversations_for(user)
    # Scores come only from reviews this person may open (a peer sees colleagues'
    # conversations, not their scores).
    scored = reviews_for(user).counting_toward_iqs()
    status = 200
    if form.is_bound:
        if form.is_valid():
            conversations = form.apply(conversations, scored)
        else:
            status = 400
    conversations = (
        conversations.select_related("agent", "team", "category")
        .annotate(
            csat=Subquery(
                SurveyResponse.objects.filter(conversation=OuterRef("pk"), csat__isnull=False)
                .order_by("-answered_at")
                .values("csat")[:1]
            ),
            score=Subquery(
                scored.filter(conversation=OuterRef("pk"))
                .values("conversation")
                .annotate(avg=Avg("final_score"))
                .values("avg")[:1]
            ),
        )
        .order_by("-created_at", "-id")
    )
    page = CappedPaginator(conversations, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "conversations/list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            # Agents and peers see only their own reviews: a colleague's conversation without
            # a score here may well have been reviewed.
            "hides_colleagues_scores": user.is_agent,
        },
        status=status,
    )


@allowed(may_browse_conversations)
@require_http_methods(["GET", "POST"])
def conversation_detail(request: HttpRequest, code: str) -> HttpResponse:
    user = request.user
    conversation = get_conversation_for_user(user, code)
    version = pick_version(
        conversation, request.GET.get("scorecard") or request.POST.get("scorecard")
    )
    others = reviews_for(user).filter(conversation=conversation, calibration_session__isnull=True)
    return review_page(
        request, conversation, review_source_for(user, conversation.agent_id), version, others
    )


def review_page(
    request: HttpRequest,
    conversation: Conversation,
    source: str | None,
    version: ScorecardVersion | None,
    others: QuerySet[Review],
    *,
    calibration_session: CalibrationSession | None = None,
) -> HttpResponse:
    """The transcript beside the scorecard: GET shows it, POST saves the reviewer's draft or
    submits it. The caller has checked that the user may see the conversation; `source` is
    None when they may not review it. JSON requests are the form's autosave. A submitted
    review is not changed here: its edit page (`review_edit`) asks for a reason.
    """
    user = request.user
    own = (
        Review.objects.filter(
            conversation=conversation,
            reviewer=user,
            source=source,
            calibration_session=calibration_session,
        ).first()
        if source
        else None
    )
    errors: dict[str, str] = {}
    if request.method == "POST":
        if source is None or version is None:
            return HttpResponse("You cannot review this conversation.", status=403)
        ratings, overall = parse_review_post(request.POST, version)
        submit = request.POST.get("action") == "submit"
        wants_json = request.headers.get("Accept") == "application/json"  # the autosave
        try:
            own = save_review(
                conversation=conversation,
                reviewer=user,
                source=source,
                version=version,
                ratings=ratings,
                overall_comment=overall,
                submit=submit,
                calibration_session=calibration_session,
            )
        except ReviewInvalid as invalid:
            errors = invalid.errors
            if wants_json:
                return JsonResponse({"ok": False, "errors": errors}, status=400)
        else:
            if wants_json:
                return JsonResponse(
                    {"ok": True, "status": own.status, "saved_at": own.updated_at.isoformat()}
                )
            if submit:
                messages.success(request, f"Review submitted: {own.final_score:.1f}%.")
                if calibration_session is not None:
                    return redirect("calibration-detail", code=calibration_session.code)
                return redirect("review-detail", code=own.code)
            messages.success(request, "Draft saved.")
            return redirect(f"{request.path}?scorecard={version.scorecard.slug}")
    context = workspace(conversation, others.exclude(pk=own.pk if own else None))
    context["calibration"] = calibration_session
    may_start = source is not None and version is not None
    if own is not None and own.status != ReviewStatus.DRAFT:
        may_start = False  # submitted: shown as such, changed only on its edit page
        context["own_review"] = own
        context["own_edit_refusal"] = edit_refusal(user, own)
    if may_start:
        # "Start from AutoQA": the AutoQA ratings prefill the form of a reviewer without one.
        start, autoqa = own, context["autoqa"]
        if (
            own is None
            and request.GET.get("from") == "autoqa"
            and autoqa is not None
            and autoqa.scorecard_version_id == version.pk
        ):
            start = autoqa
        context["from_autoqa"] = start is not own
        context.update(review_form_context(version, start, request.POST if errors else None))
        context.update(mode="draft", own_review=own, errors=errors)
    return render(request, "conversations/detail.html", context, status=400 if errors else 200)


def workspace(conversation: Conversation, others: QuerySet[Review]) -> dict[str, Any]:
    """What the review workspace shows around the form: transcript, surveys, AutoQA's
    findings (only where the person may see AutoQA's review) and the other reviews."""
    lines = transcript(conversation, service_levels())
    context: dict[str, Any] = {
        "conversation": conversation,
        "transcript": lines,
        "trajectory": customer_trajectory(lines),
        "surveys": conversation.survey_responses.all(),
        "others": others.exclude(source=Source.AUTOQA).select_related(
            "reviewer", "reviewee", "scorecard_version__scorecard"
        ),
        "mode": None,
    }
    context.update(autoqa_panel(conversation, lines, others))
    return context
