from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from supportqa.accounts.access import (
    access_key,
    agents_for,
    count_in_scope,
    read_in_scope,
    teams_for,
)
from supportqa.accounts.models import Organisation, User
from supportqa.accounts.permissions import (
    allowed,
    may_browse_conversations,
    may_decide_disputes,
    signed_in,
)
from supportqa.conversations.access import conversations_for, get_conversation_for_user
from supportqa.core.jsontext import unstorable
from supportqa.rendering import format_html
from supportqa.reviews import workspace
from supportqa.reviews.access import (
    conversation_reviews,
    get_review_for_user,
    may_acknowledge,
    may_flag_autoqa,
    review_source_for,
)
from supportqa.reviews.actions import (
    ReviewInvalid,
    acknowledge_review,
    decide_dispute,
    dispute_deadline,
    edit_refusal,
    edit_review,
    may_edit,
    raise_dispute,
)
from supportqa.reviews.forms import (
    ConversationFilter,
    parse_review_post,
    review_form_context,
    split_cause,
    ticked_proposals,
)
from supportqa.reviews.models import Dispute, Review, ReviewStatus
from supportqa.scorecards.models import Criterion
from supportqa.scorecards.picking import pick_version


def may_decide(user: User, dispute: Dispute) -> bool:
    """The reviewer or an arbiter in scope (leads only reach their teams' reviews)."""
    return user.pk != dispute.raised_by_id and (
        user.pk == dispute.review.reviewer_id or may_decide_disputes(user)
    )


def may_dispute(user: User, review: Review) -> bool:
    """Human quality reviews only: AutoQA's and self reviews are not disputed."""
    return (
        user.pk == review.reviewee_id
        and review.counts_toward_iqs
        and review.status == ReviewStatus.SUBMITTED
        and review.submitted_at is not None
        and timezone.now() <= dispute_deadline(review)
    )


PAGE_SIZE = 50
COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """Counts at most COUNT_CAP matches: an exact COUNT(*) under a filter the indexes do not
    cover reads every matching row, and nobody pages through 200 pages of 50. The count
    selects only ids: the listing's CSAT and score subqueries are for the rows shown."""

    @cached_property
    def count(self) -> int:
        return self.object_list.values("pk")[: COUNT_CAP + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > COUNT_CAP

    @classmethod
    def first_page(cls, rows: list[Any], counted: int) -> Page:
        """The first page, whose rows and (capped) count were read already."""
        paginator = cls([], PAGE_SIZE)
        paginator.__dict__["count"] = counted  # the cached property, known
        return paginator._get_page(rows, 1, paginator)


@allowed(may_browse_conversations)
@require_GET
def conversation_list(request: HttpRequest) -> HttpResponse:
    """The conversations in the person's scope, filtered, with the score of the reviews they
    may open (a peer sees colleagues' conversations, not their scores)."""
    user = request.user
    form = ConversationFilter(
        request.GET or None,
        agents=read_in_scope(user, "filter: agents", lambda slots: agents_for(user)),
        teams=read_in_scope(user, "filter: teams", lambda slots: teams_for(user)),
    )
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
    if form.is_bound:
        listing = form.listing(conversations_for(user), user)
        page = CappedPaginator(listing, PAGE_SIZE).get_page(request.GET.get("page"))
    else:  # as the list opens (no filter, the first page): the same reads on every visit
        rows = read_in_scope(
            user,
            "conversation list",
            lambda slots: form.listing(conversations_for(user), user)[:PAGE_SIZE],
        )
        counted = count_in_scope(  # CappedPaginator's count of the unfiltered listing
            user,
            "conversation list count",
            lambda slots: conversations_for(user).order_by().values("pk")[: COUNT_CAP + 1],
        )
        page = CappedPaginator.first_page(rows, counted)
    query = request.GET.copy()
    query.pop("page", None)
    without_cause = query.copy()
    without_cause.pop("cause", None)
    cause = split_cause(request.GET.get("cause", ""))
    return render(
        request,
        "reviews/conversation_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            # Agents and peers see only their own reviews: a colleague's conversation without
            # a score here may well have been reviewed.
            "hides_colleagues_scores": user.is_agent,
            # Opened from a root cause on the "Why we fail" page: say so, and how to drop it.
            "cause_note": format_html(
                "Reviewed conversations whose rating of <strong>{}</strong> was tagged “{}” · "
                '<a href="?{}">drop this root cause</a>',
                Criterion.latest_names().get(cause[0], cause[0]),
                cause[1],
                without_cause.urlencode(),
            )
            if cause
            else "",
        },
        status=status,
    )


def _conversation_desk(request: HttpRequest, code: str) -> workspace.Desk:
    user = request.user
    conversation = get_conversation_for_user(user, code)
    slug = request.GET.get("scorecard") or request.POST.get("scorecard")
    source = review_source_for(user, conversation.agent_id)
    others = conversation_reviews(user, conversation.pk)
    blind = source is not None and blinded(user, others)
    return workspace.Desk(
        conversation=conversation,
        source=source,
        version=pick_version(conversation, slug),
        others=conversation_reviews(user, conversation.pk, blind=True) if blind else others,
        blind=blind,
        others_of=lambda conversation: conversation_reviews(user, conversation, blind=blind),
        others_key=("conversation reviews", access_key(user), blind),
    )


def blinded(user: User, reviews: QuerySet[Review]) -> bool:
    """Under blind review (an organisation setting) a reviewer sees neither AutoQA nor the
    other reviews of a conversation until they have submitted their own."""
    if not Organisation.current().blind_review:
        return False
    return not reviews.filter(reviewer=user).exclude(status=ReviewStatus.DRAFT).exists()


@allowed(may_browse_conversations)
@require_http_methods(["GET", "POST"])
def conversation_detail(request: HttpRequest, code: str) -> HttpResponse:
    """The review workspace of a conversation in the person's scope."""
    return workspace.respond(request, _conversation_desk(request, code))


@allowed(signed_in)
@require_GET
def review_detail(request: HttpRequest, code: str) -> HttpResponse:
    review = get_review_for_user(request.user, code)
    return _render(request, review)


def _render(
    request: HttpRequest, review: Review, errors: dict[str, str] | None = None, status: int = 200
) -> HttpResponse:
    ratings = (
        review.ratings.select_related("criterion__section", "option")
        .prefetch_related("root_causes", "evidence", "criterion__options")
        .order_by("criterion__section__position", "criterion__position")
    )
    disputes = list(
        review.disputes.select_related("raised_by", "decided_by").prefetch_related(
            "items__criterion", "items__previous_option", "items__proposed_option"
        )
    )
    open_dispute = next((d for d in disputes if d.status == Dispute.Status.OPEN), None)
    return render(
        request,
        "reviews/detail.html",
        {
            "review": review,
            "ratings": ratings,
            "revisions": _revisions(review, ratings),
            "can_edit": not edit_refusal(request.user, review),
            "disputes": disputes,
            "can_dispute": may_dispute(request.user, review),
            "can_flag": may_flag_autoqa(request.user, review),
            "can_acknowledge": may_acknowledge(request.user, review)
            and review.acknowledged_at is None,
            "deadline": dispute_deadline(review) if review.submitted_at else None,
            "open_dispute": open_dispute,
            "can_decide": open_dispute is not None and may_decide(request.user, open_dispute),
            "errors": errors or {},
            "kept": _typed(request if errors else None),
        },
        status=status,
    )


def _typed(request: HttpRequest | None) -> dict[str, Any]:
    """What the person typed in a dispute or decision form that was refused, shown again."""
    posted = request.POST if request is not None else {}
    return {
        "ticked": {k.removeprefix("dispute-") for k in posted if k.startswith("dispute-")},
        "proposed": {
            k.removeprefix("proposed-"): v for k, v in posted.items() if k.startswith("proposed-")
        },
        "reason": posted.get("reason", ""),
        "accepted": set(request.POST.getlist("accept")) if request is not None else set(),
        "decision_reason": posted.get("decision_reason", ""),
    }


def _revisions(review: Review, ratings: Any) -> list[tuple[Any, list[dict[str, Any]]]]:
    """Each earlier version with its rows, each row saying what the next version made of it
    ("became"), so the page shows what changed without comparing tables by eye."""
    current = {r.criterion.key: "N/A" if r.is_na else r.option.label for r in ratings}
    versions = list(review.revisions.select_related("version_by", "replaced_by"))
    out = []
    for index, revision in enumerate(versions):
        following = (
            {row["criterion"]: row["rating"] for row in versions[index + 1].ratings}
            if index + 1 < len(versions)
            else current
        )
        rows = [
            {**row, "became": following.get(row["criterion"])}
            if following.get(row["criterion"]) != row["rating"]
            else row
            for row in revision.ratings
        ]
        out.append((revision, rows))
    return out


@allowed(signed_in)
@require_POST
def review_acknowledge(request: HttpRequest, code: str) -> HttpResponse:
    review = get_review_for_user(request.user, code)
    if not may_acknowledge(request.user, review):
        raise Http404("No such page")
    if acknowledge_review(review=review, by=request.user):
        messages.success(request, "Acknowledged: your reviewer can see you have read it.")
    return redirect("review-detail", code=review.code)


@allowed(signed_in)
@require_POST
def dispute_raise(request: HttpRequest, code: str) -> HttpResponse:
    review = get_review_for_user(request.user, code)
    if request.user.pk != review.reviewee_id:
        raise Http404("No such page")
    proposals = ticked_proposals(request.POST, "dispute")
    reason = request.POST.get("reason", "")[:5000]
    try:
        raise_dispute(review=review, by=request.user, proposals=proposals, reason=reason)
    except ReviewInvalid as invalid:
        if not _already_raised(review, request.user, reason):
            return _render(request, review, invalid.errors, status=400)
    messages.success(request, "Dispute sent: the reviewer or a lead will decide it.")
    return redirect("review-detail", code=review.code)


def _already_raised(review: Review, user: User, reason: str) -> bool:
    """A second click on "Send dispute" finds the dispute the first one filed: not an error.
    (A reason that cannot be stored was never filed: not even looked for.)"""
    return (
        not unstorable(reason)
        and review.disputes.filter(
            raised_by=user, status=Dispute.Status.OPEN, reason=reason.strip()
        ).exists()
    )


@allowed(signed_in)
@require_POST
def dispute_decide(request: HttpRequest, code: str, dispute: str) -> HttpResponse:
    review = get_review_for_user(request.user, code)
    target = review.disputes.filter(code=dispute).select_related("review").first()
    if target is None or not may_decide(request.user, target):
        raise Http404("No such dispute")
    try:
        decided = decide_dispute(
            dispute=target,
            by=request.user,
            accepted=set(request.POST.getlist("accept")),
            reason=request.POST.get("decision_reason", "")[:5000],
        )
    except ReviewInvalid as invalid:
        target.refresh_from_db()
        if target.status == Dispute.Status.OPEN or target.decided_by_id != request.user.pk:
            return _render(request, review, invalid.errors, status=400)
        decided = target  # a second click on "Decide": the first one decided it
    messages.success(request, f"Dispute {decided.get_status_display().lower()}.")
    return redirect("review-detail", code=review.code)


@allowed(signed_in)
@require_http_methods(["GET", "POST"])
def review_edit(request: HttpRequest, code: str) -> HttpResponse:
    """Change a submitted review, with a reason: the earlier version is kept as a revision."""
    review = get_review_for_user(request.user, code)
    if not may_edit(request.user, review):
        raise Http404("No such page")
    refusal = edit_refusal(request.user, review)
    if refusal:
        messages.error(request, f"This review cannot be edited: it {refusal}.")
        return redirect("review-detail", code=review.code)
    errors: dict[str, str] = {}
    version = review.scorecard_version
    if request.method == "POST":
        ratings, overall = parse_review_post(request.POST, version)
        before = review.final_score
        try:
            edited = edit_review(
                review=review,
                by=request.user,
                ratings=ratings,
                overall_comment=overall,
                reason=request.POST.get("reason", "")[:5000],
            )
        except ReviewInvalid as invalid:
            errors = invalid.errors
        else:
            messages.success(request, f"Review changed: {before:.1f}% → {edited.final_score:.1f}%.")
            return redirect("review-detail", code=edited.code)
    conversation = review.conversation
    others = workspace.reading(conversation_reviews(request.user, conversation.pk))
    context = workspace.context_for(conversation, others, leave_out=review.pk)
    context.update(review_form_context(version, review, request.POST if errors else None))
    context.update(
        mode="edit",
        edited=review,
        errors=errors,
        reason=request.POST.get("reason", "") if errors else "",
        calibration=review.calibration_session,
    )
    return render(request, "reviews/workspace.html", context, status=400 if errors else 200)
