"""The demo's requests in the quality-control workflow (PRODUCT.md §3.1): one waiting at each
step a person does and at each gate, one sent back at a gate, one waiting for its management
report's decision, one closed and archived with its improvement action; last month's approved
management report; and two actions done weeks ago with their measured effect."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from supportqa.accounts.models import Team, User
from supportqa.conversations.models import Conversation
from supportqa.notifications.actions import muted
from supportqa.reviews.actions import RatingInput, edit_review, save_review
from supportqa.reviews.models import IQS_SOURCES, Source
from supportqa.workflow import reporting
from supportqa.workflow.engine import (
    WorkflowError,
    active_record,
    complete,
    decide,
    reported_in,
    start,
)
from supportqa.workflow.models import ImprovementAction, ManagementReport, Request

# How far each demo request goes: the step it stops at ("" = to the end), whether a gate sent
# it back once on the way, and its team.
PLAN = [
    ("confirm", False, "Alpha"),
    ("gate-1", False, "Alpha"),
    ("monitor", False, "Alpha"),
    ("gate-2", False, "Alpha"),
    ("respond", True, "Alpha"),  # sent back at gate 2
    ("feedback", False, "Alpha"),
    ("customer-feedback", False, "Alpha"),
    ("evaluate", False, "Alpha"),
    ("gate-3", False, "Alpha"),
    ("overall-feedback", False, "Alpha"),
    ("report", False, "Alpha"),
    ("gate-4", False, "Bravo"),  # its report is submitted and waits for a manager
    ("improvements", False, "Alpha"),
    ("implement", False, "Alpha"),
    ("", False, "Alpha"),  # closed and archived, with its improvement actions
]


def build_requests() -> int:
    """Start and advance the demo requests (once: nothing is done when requests exist).
    Returns how many were started."""
    people = {u.username: u for u in User.objects.filter(username__contains=".")}
    people.update({u.username: u for u in User.objects.filter(username="manager")})
    if Request.objects.exists() or not {"qa.strict", "manager", "lead.alpha"} <= set(people):
        return 0
    walks = []
    with muted():
        for stop, sent_back, team in PLAN:
            # Conversations a person has reviewed: step 8's response check is a review.
            conversation = (
                Conversation.objects.filter(
                    team__name=team,
                    agent__isnull=False,
                    workflow__isnull=True,
                    reviews__source__in=IQS_SOURCES,
                    reviews__submitted_at__isnull=False,
                )
                .filter(
                    **(
                        {"survey_responses__isnull": True}  # step 12 then waits
                        if stop == "customer-feedback"
                        else {}
                    )
                )
                .distinct()
                .order_by("-created_at")
                .select_related("agent", "team")
                .first()
            )
            if conversation is None:
                continue
            lead = people.get(f"lead.{team.lower()}")
            request = start(conversation, by=lead)
            roles = {"agent": conversation.agent, "qa": people["qa.strict"], "lead": lead,
                     "manager": people["manager"]}  # fmt: skip
            walks.append((request, stop, sent_back, roles))
            _walk(request, stop, sent_back, roles)
        # Every request past step 17 is in its team's report: submitted; the Alpha one
        # approved, so its requests go on; the Bravo one waits for the manager.
        for report in ManagementReport.objects.all():
            lead = people.get(f"lead.{report.team.name.lower()}")
            if lead is not None:
                reporting.submit(report, by=lead, summary=SUMMARIES.get(report.team.name, SUMMARY))
            if report.team.name == "Alpha":
                reporting.decide(report, by=people["manager"], approve=True,
                                 comment="Clear; go ahead with the actions.")  # fmt: skip
        for request, stop, _, roles in walks:
            request.refresh_from_db()
            _walk(request, stop, False, roles)
        _past_actions(people)
        _last_month(people)
    return len(walks)


SUMMARIES = {
    "Bravo": "A quiet start to the month: few conversations so far, so the intervals are wide; "
    "nothing yet that calls for an action.",
}
REPLY = "Thank you for your patience: I have checked your order and the refund is on its way."

SUMMARY = (
    "Refund questions drove most of the month's failed reviews; the knowledge-base article "
    "on partial refunds is out of date. First replies were on time."
)


def _walk(request: Request, stop: str, sent_back: bool, roles: dict[str, User | None]) -> None:
    """Do the steps as their people until `stop`, or a gate decided on a management report."""
    rejected = False
    while True:
        record = active_record(request)
        if record is None or record.step.key == stop and (rejected or not sent_back):
            return
        step = record.step
        by = roles.get(step.role)
        if by is None or step.kind == "approval" and reported_in(request, step):
            return
        try:
            if step.kind == "approval":
                if sent_back and not rejected and step.gate == 2:
                    reason = "The refund amount quoted does not match the order."
                    decide(request, step.key, by=by, approve=False, comment=reason)
                    rejected = True
                else:
                    decide(request, step.key, by=by, approve=True, comment="Checked.")
            elif step.key == "implement":
                complete(request, step.key, by=by, data=_actions(request, roles))
            elif step.key == "respond":
                complete(request, step.key, by=by, data={"reply": REPLY})
            elif step.key == "monitor":
                _check_response(request, by)
                complete(request, step.key, by=by)
            else:
                choice = step.choices[0] if step.choices else ""
                if step.key == "improvements":
                    choice = "Knowledge base updates"  # what the demo's action is about
                complete(request, step.key, by=by, choice=choice, comment="Done in the demo.")
        except WorkflowError:
            return
        request.refresh_from_db()


def _check_response(request: Request, reviewer: User) -> None:
    """The QA reviewer's response check as the product has them do it: start from AutoQA's
    ratings and submit (or, having reviewed the conversation before, edit with a reason)."""
    conversation = request.conversation
    autoqa = (
        conversation.reviews.filter(source=Source.AUTOQA, submitted_at__isnull=False)
        .prefetch_related("ratings__option", "ratings__criterion__options")
        .first()
    )
    if autoqa is None:
        return
    ratings = {}
    for rating in autoqa.ratings.all():
        options = list(rating.criterion.options.all())
        position = next((i for i, o in enumerate(options) if o.pk == rating.option_id), None)
        ratings[rating.criterion.code] = RatingInput(option_position=position, na=rating.is_na)
    mine = conversation.reviews.filter(reviewer=reviewer, source=Source.QA).first()
    if mine is None:
        save_review(conversation=conversation, reviewer=reviewer, source=Source.QA,
                    version=autoqa.scorecard_version, ratings=ratings, submit=True)  # fmt: skip
    elif mine.scorecard_version_id == autoqa.scorecard_version_id:
        edit_review(review=mine, by=reviewer, ratings=ratings, overall_comment="",
                    reason="Checked again after the new reply.")  # fmt: skip


def _actions(request: Request, roles: dict[str, User | None]) -> dict[str, str]:
    owner = roles["lead"] or roles["manager"]
    assert owner is not None
    due = (timezone.localdate() + timedelta(days=21)).isoformat()
    return {
        "action-1-description": "Rewrite the partial-refund article and link it from the "
        "refund macro.",
        "action-1-owner": str(owner.pk),
        "action-1-due": due,
        "action-1-metric": "fcr",
    }


def _last_month(people: dict[str, User]) -> None:
    """Alpha's report of last month, submitted by its lead and approved (with its PDF)."""
    alpha = Team.objects.filter(name="Alpha").first()
    if alpha is None:
        return
    first, last = reporting.last_complete("month", timezone.localdate())
    report = reporting.create(alpha, first, last, by=people["lead.alpha"])
    reporting.submit(report, by=people["lead.alpha"], summary=SUMMARY)
    reporting.decide(report, by=people["manager"], approve=True, comment="Approved.")


def _past_actions(people: dict[str, User]) -> None:
    """Two actions decided and done weeks ago, so their effect is measured on the demo's own
    data (whatever it shows: nothing is planted for them)."""
    now = timezone.now()
    for team, area, description, metric, decided, done in (
        ("Alpha", "Knowledge base updates", "Add the delivery-times article to the help "
         "centre.", "fcr", 70, 55),
        ("Charlie", "Response time", "Move one agent from the evening to the lunch shift.",
         "first_reply_on_time", 60, 50),
    ):  # fmt: skip
        owner = people.get(f"lead.{team.lower()}")
        found = Team.objects.filter(name=team).first()
        if owner is None or found is None:
            continue
        ImprovementAction.objects.create(
            team=found, area=area, description=description, owner=owner, metric=metric,
            due=(now - timedelta(days=done)).date(), created_at=now - timedelta(days=decided),
            status=ImprovementAction.Status.DONE, done_at=now - timedelta(days=done),
            note="Done as planned.",
        )  # fmt: skip
