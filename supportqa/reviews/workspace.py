"""The review workspace: a conversation's transcript beside the scorecard.

Three steps, one function each: `show` (GET), `save` (the form's POST: a draft or the
submission) and `autosave` (the form's JSON POST, drafts only); `respond` picks one. The
conversation page and a calibration session's review page both open a `Desk`: who reviews
which conversation, as what, with which scorecard. Apps built on this one add panels beside
the transcript (`add_panel`, e.g. AutoQA's evidence) without this app importing them.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string

from supportqa.conversations.categorize import suggest
from supportqa.conversations.models import Conversation
from supportqa.conversations.transcript import Line, customer_trajectory, transcript
from supportqa.core.scoring import passed
from supportqa.reviews.actions import ReviewInvalid, edit_refusal, save_review
from supportqa.reviews.forms import parse_review_post, review_form_context
from supportqa.reviews.models import Rating, Review, ReviewStatus, Source
from supportqa.reviews.three_sixty import three_sixty
from supportqa.scorecards.models import ScorecardVersion
from supportqa.statements import ID, READS, TEXT, Slots
from supportqa.surveys.panel import conversation_panel

# How a page reads the reviews of its conversation that the person may see:
# `read(name, refine)` gives the reviews `refine` narrows them to, through a statement compiled
# once where the desk allows it (`Desk.read_others`), else as a queryset (`reading`).
ReadReviews = Callable[[str, Callable[[QuerySet[Review]], QuerySet[Review]]], list[Review]]
# A panel gets (conversation, transcript lines, the reviews' reader) and returns context for
# the page (AutoQA's: its review, findings and marked texts).
Panel = Callable[[Conversation, list[Line], ReadReviews], dict[str, Any]]
_PANELS: list[Panel] = []


def add_panel(panel: Panel) -> None:
    if panel not in _PANELS:
        _PANELS.append(panel)


def reading(reviews: QuerySet[Review]) -> ReadReviews:
    """Reads of these reviews, as querysets."""
    return lambda name, refine: list(refine(reviews))


@dataclass(frozen=True)
class QueueSpot:
    """A conversation waiting in the reviewer's queue: the next one after it (None: it is the
    last), how many wait (it included) and the queue page."""

    next_url: str | None
    left: int
    queue_url: str


# The assignments app answers "is this conversation in this person's queue?".
QueueReader = Callable[[Any, Conversation], QueueSpot | None]
_QUEUES: list[QueueReader] = []


def add_queue(reader: QueueReader) -> None:
    if reader not in _QUEUES:
        _QUEUES.append(reader)


def queue_spot(user: Any, desk: Desk) -> QueueSpot | None:
    if desk.calibration_session is not None:
        return None
    return next((s for s in (r(user, desk.conversation) for r in _QUEUES) if s), None)


def running_score(review: Review | None, version: ScorecardVersion) -> dict[str, Any]:
    """The draft's score so far (unrated criteria left out, as N/A), for the workspace."""
    criteria = len(version.parts.criteria)
    if review is None:
        return {"raw": None, "final": None, "critical_failed": False, "rated": 0, "of": criteria}
    score = review.recomputed_score()
    return {
        "raw": score.raw,
        "final": score.final,
        "critical_failed": score.critical_failed,
        "passed": score.final is not None and passed(score.final, version.pass_threshold),
        "rated": review.ratings.count(),
        "of": criteria,
    }


@dataclass(frozen=True)
class Desk:
    """A person at a conversation: the source their review counts as (None: they may not
    review it), the scorecard version, the other reviews they may see, and the session when
    it is a calibration review."""

    conversation: Conversation
    source: str | None
    version: ScorecardVersion | None
    others: QuerySet[Review]
    calibration_session: Any = None
    blind: bool = False  # blind review: the others are hidden until the person submits
    # The others for a conversation id or a slot (`reviews.access.conversation_reviews`), and
    # what else their SQL depends on: read through statements compiled once. None: `others`.
    others_of: Callable[[Any], QuerySet[Review]] | None = None
    others_key: Hashable = None

    def read_others(
        self, name: str, refine: Callable[[QuerySet[Review]], QuerySet[Review]]
    ) -> list[Review]:
        """`ReadReviews` of the others."""
        others_of = self.others_of
        if others_of is None:
            return list(refine(self.others))
        return READS.read(  # type: ignore[no-any-return]
            (name, self.others_key),
            lambda slots: refine(others_of(slots("conversation", ID))),
            conversation=self.conversation.pk,
        )

    def own(self, user: Any) -> Review | None:
        if self.source is None:
            return None
        session = self.calibration_session

        def build(slots: Slots) -> QuerySet[Review]:
            return Review.objects.filter(
                conversation_id=slots("conversation", ID),
                reviewer_id=slots("reviewer", ID),
                source=slots("source", TEXT),
                calibration_session_id=None if session is None else slots("session", ID),
            ).select_related("scorecard_version")  # its badge's pass threshold

        in_session = {} if session is None else {"session": session.pk}
        return READS.first(  # type: ignore[no-any-return]
            ("own review", session is None),
            build,
            conversation=self.conversation.pk,
            reviewer=user.pk,
            source=self.source,
            **in_session,
        )


def respond(request: HttpRequest, desk: Desk) -> HttpResponse:
    """GET shows the workspace; a JSON POST is the autosave, any other POST the form."""
    if request.method != "POST":
        return show(request, desk)
    if request.headers.get("Accept") == "application/json":
        return autosave(request, desk)
    return save(request, desk)


def show(request: HttpRequest, desk: Desk, errors: dict[str, str] | None = None) -> HttpResponse:
    """The page; with `errors`, the form again as posted (status 400)."""
    own = desk.own(request.user)
    context = context_for(desk.conversation, desk.read_others, leave_out=own.pk if own else None)
    context["calibration"] = desk.calibration_session
    context["blind"] = desk.blind
    context["own_source"] = desk.source
    context["three_sixty"] = three_sixty(desk.others, compared_only=True, read=desk.read_others)
    context["survey_panel"] = conversation_panel(request.user, desk.conversation)
    if own is not None and own.status != ReviewStatus.DRAFT:
        # Submitted: shown as such, changed only on its edit page, with a reason.
        context.update(own_review=own, own_edit_refusal=edit_refusal(request.user, own))
    elif desk.source is not None and desk.version is not None:
        start = _start(request, desk, own, context["autoqa"])
        context["from_autoqa"] = start is not own
        posted = request.POST if errors else None
        context.update(review_form_context(desk.version, start, posted))
        context.update(mode="draft", own_review=own, errors=errors or {})
        context.update(
            running=running_score(own, desk.version), queue=queue_spot(request.user, desk)
        )
    status = 400 if errors else 200
    return render(request, "reviews/workspace.html", context, status=status)


def _start(request: HttpRequest, desk: Desk, own: Review | None, autoqa: Any) -> Review | None:
    """The review the form starts from: the person's draft, or ("Start from AutoQA") the
    AutoQA review's ratings for someone without one."""
    wanted = request.GET.get("from") == "autoqa"
    if own is None and wanted and autoqa is not None:
        assert desk.version is not None
        if autoqa.scorecard_version_id == desk.version.pk:
            return autoqa  # type: ignore[no-any-return]
    return own


def save(request: HttpRequest, desk: Desk) -> HttpResponse:
    """The form's POST: save the draft, or submit it (then to the review, or the session)."""
    if desk.source is None or desk.version is None:
        return HttpResponse("You cannot review this conversation.", status=403)
    action = request.POST.get("action")
    submit = action in ("submit", "submit-next")
    spot = queue_spot(request.user, desk) if action == "submit-next" else None
    try:
        review = _save(request, desk, submit)
    except ReviewInvalid as invalid:
        return show(request, desk, invalid.errors)
    if not submit:
        messages.success(request, "Draft saved.")
        return redirect(f"{request.path}?scorecard={desk.version.scorecard.slug}")
    messages.success(request, f"Review submitted: {review.final_score:.1f}%.")
    if spot is not None:
        return _next_in_queue(request, spot)
    if desk.calibration_session is not None:
        return redirect("calibration-detail", code=desk.calibration_session.code)
    return redirect("review-detail", code=review.code)


def _next_in_queue(request: HttpRequest, spot: QueueSpot) -> HttpResponse:
    left = spot.left - 1
    if spot.next_url is None or left <= 0:
        messages.info(request, "That was the last conversation in your queue.")
        return redirect(spot.queue_url)
    messages.info(request, f"Next in your queue ({left} left).")
    return redirect(spot.next_url)


def autosave(request: HttpRequest, desk: Desk) -> JsonResponse:
    """The form's background save: drafts only, answered in JSON."""
    if desk.source is None or desk.version is None:
        return JsonResponse(
            {"ok": False, "errors": {"review": "you cannot review this"}}, status=403
        )
    try:
        review = _save(request, desk, submit=False)
    except ReviewInvalid as invalid:
        return JsonResponse({"ok": False, "errors": invalid.errors}, status=400)
    return JsonResponse(
        {
            "ok": True,
            "status": review.status,
            "saved_at": review.updated_at.isoformat(),
            "score_html": render_to_string(
                "reviews/_running_score.html",
                {
                    "s": running_score(review, desk.version),
                    "threshold": desk.version.pass_threshold,
                },
            ),
        }
    )


def _save(request: HttpRequest, desk: Desk, submit: bool) -> Review:
    assert desk.source is not None and desk.version is not None
    ratings, overall = parse_review_post(request.POST, desk.version)
    return save_review(
        conversation=desk.conversation,
        reviewer=request.user,
        source=desk.source,
        version=desk.version,
        ratings=ratings,
        overall_comment=overall,
        submit=submit,
        calibration_session=desk.calibration_session,
    )


def context_for(
    conversation: Conversation, read: ReadReviews, leave_out: int | None = None
) -> dict[str, Any]:
    """What the workspace shows around the form: transcript, surveys, the panels (each only
    with what the person may see) and the other reviews (`leave_out`: the person's own)."""
    lines = transcript(conversation)
    others = read(
        "others",
        lambda reviews: (
            reviews.exclude(source=Source.AUTOQA)
            .select_related("reviewer", "reviewee", "scorecard_version__scorecard")
            .prefetch_related(
                Prefetch(
                    "ratings",
                    Rating.objects.select_related("criterion", "option").order_by(
                        "criterion__section__position", "criterion__position"
                    ),
                )
            )
        ),
    )
    context: dict[str, Any] = {
        "conversation": conversation,
        "transcript": lines,
        "trajectory": customer_trajectory(lines),
        "suggestion": suggest(conversation, [line.message for line in lines]),
        "others": [review for review in others if review.pk != leave_out],
        "mode": None,
        "autoqa": None,
        "marked": {},
        "flags": {},
    }
    for panel in _PANELS:
        context.update(panel(conversation, lines, read))
    return context
