from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from supportqa.accounts.access import teams_for
from supportqa.accounts.models import Team
from supportqa.accounts.permissions import (
    allowed,
    may_browse_conversations,
    may_start_workflow,
)
from supportqa.conversations.access import conversations_for
from supportqa.conversations.actions import create_request
from supportqa.conversations.models import Category
from supportqa.workflow.access import may_act, requests_for, waiting_for
from supportqa.workflow.assignment import candidates_for
from supportqa.workflow.display import in_words
from supportqa.workflow.engine import (
    WorkflowError,
    acknowledge_feedback,
    active_record,
    chosen_areas,
    complete,
    decide,
    feedback_waiting,
    in_view,
    may_reassign,
    reassign,
    reported_in,
    start,
    unacknowledged_feedback,
)
from supportqa.workflow.forms import NewRequestForm
from supportqa.workflow.improvements import METRIC_CHOICES, owners_for
from supportqa.workflow.models import (
    ArchiveRecord,
    Request,
    StepKind,
    StepRecord,
    TemplateStep,
)
from supportqa.workflow.reporting import reports_for


@allowed(may_browse_conversations)
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    """The requests in the person's scope, the ones waiting for them first."""
    shown = request.GET.get("show", "mine")
    found: list[ArchiveRecord] = []
    query = request.GET.get("q", "").strip()[:200]
    feedback = []
    if shown == "archive":
        rows = []
        found = list(_archive_search(request, query)[:100]) if query else []
    elif shown == "mine":
        rows = [(r.request, r, True) for r in waiting_for(request.user)[:500]]
        feedback = list(feedback_waiting(request.user).select_related("conversation")[:100])
    else:
        state = Request.State.CLOSED if shown == "closed" else Request.State.OPEN
        requests = requests_for(request.user).filter(state=state)
        if request.GET.get("team"):
            requests = requests.filter(conversation__team__code=request.GET["team"])
        if request.GET.get("step") and state == Request.State.OPEN:
            requests = requests.filter(
                records__state=StepRecord.State.ACTIVE, records__step__key=request.GET["step"]
            )
        requests = requests.order_by("-updated_at", "-id")
        requests = requests.select_related("conversation__agent", "template").prefetch_related(
            Prefetch(
                "records",
                StepRecord.objects.filter(state=StepRecord.State.ACTIVE).select_related("step"),
                to_attr="active",
            )
        )
        mine = set(waiting_for(request.user).values_list("pk", flat=True))
        rows = []
        for item in requests[:500]:
            current = item.active[0] if item.active else None
            rows.append((item, current, current is not None and current.pk in mine))
    scope = requests_for(request.user)
    return render(
        request,
        "workflow/list.html",
        {
            "rows": rows,
            "show": shown,
            "nav": "requests",
            "teams": Team.objects.filter(conversations__workflow__in=scope).distinct(),
            "steps": TemplateStep.objects.filter(template__is_default=True),
            "team": request.GET.get("team", ""),
            "step": request.GET.get("step", ""),
            "query": query,
            "found": found,
            "feedback": feedback,
        },
    )


def _archive_search(request: HttpRequest, query: str) -> Any:
    """Archived documents of requests in the person's scope whose request or conversation
    code, or any text of the document (messages, notes, reviews), holds the words."""
    codes = requests_for(request.user).values("code")
    matching = Q(request_code=query) | Q(conversation_code=query) | Q(text__icontains=query)
    return (
        ArchiveRecord.objects.filter(request_code__in=codes).filter(matching).order_by("-sequence")
    )


def _request(request: HttpRequest, code: str) -> Request:
    found = (
        requests_for(request.user)
        .filter(code=code)
        .select_related("conversation__agent", "conversation__team", "template")
    )
    item = found.first()
    if item is None:
        raise Http404("No such request")
    return item


@allowed(may_browse_conversations)
@require_http_methods(["GET", "POST"])
def request_detail(request: HttpRequest, code: str) -> HttpResponse:
    """A request's steps, who did each and what it captured; the current step's form for the
    people who may do it."""
    item = _request(request, code)
    current = active_record(item)
    error, status, reassign_error = "", 200, ""
    if request.method == "POST":
        step = request.POST.get("step", "")
        comment = request.POST.get("comment", "")
        try:
            if request.POST.get("action") == "acknowledge":
                acknowledge_feedback(item, by=request.user)
                messages.success(request, "Acknowledged; the people who gave it see that.")
                return redirect("request-detail", item.code)
            if request.POST.get("action") == "reassign":
                chosen = reassign(item, by=request.user,
                                  representative=request.POST.get("representative", ""),
                                  reason=request.POST.get("reason", ""))  # fmt: skip
                messages.success(request, f"{chosen.name} now has the request and is told.")
                return redirect("request-detail", item.code)
            if request.POST.get("decision") in ("approve", "reject"):
                decide(item, step, by=request.user, approve=request.POST["decision"] == "approve",
                       comment=comment)  # fmt: skip
            else:
                given = {
                    "assign": {"representative": request.POST.get("representative", "")},
                    "categorize": {
                        "category": request.POST.get("category", ""),
                        "secondary": request.POST.getlist("secondary"),
                    },
                    "implement": {k: v for k, v in request.POST.items() if k.startswith("action-")},
                    "respond": {"reply": request.POST.get("reply", "")},
                }
                chosen = request.POST.getlist("choice")
                complete(item, step, by=request.user,
                         choice=chosen if len(chosen) != 1 else chosen[0],
                         comment=comment, data=given.get(step))  # fmt: skip
        except WorkflowError as exc:
            error, status = str(exc)[:1].upper() + str(exc)[1:], 400
            if request.POST.get("action") == "reassign":
                reassign_error, error = error, ""
        else:
            messages.success(request, _moved_on(item, step, request.POST.get("decision", "")))
            return redirect("request-detail", item.code)
        item.refresh_from_db()
        current = active_record(item)
    records = list(
        item.records.select_related("step", "actor").order_by("step__position", "attempt")
    )
    acting = current is not None and may_act(request.user, item, current.step)
    shown = in_view(item, current.step) if acting and current else None
    sent_back = None
    if current is not None and current.attempt > 1:
        sent_back = (
            item.records.filter(state=StepRecord.State.REJECTED)
            .select_related("step", "actor")
            .order_by("-finished_at")
            .first()
        )
    reassigning = (
        item.state == Request.State.OPEN
        and item.records.filter(step__key="assign", state=StepRecord.State.DONE).exists()
        and may_reassign(request.user, item)
    )
    reported = (
        reported_in(item, current.step)
        if current is not None and current.step.kind == StepKind.APPROVAL
        else ""
    )
    reviews = item.conversation.reviews.filter(submitted_at__isnull=False).select_related(
        "reviewer", "scorecard_version__scorecard"
    )
    return render(
        request,
        "workflow/detail.html",
        {
            "item": item,
            "records": [(r, in_words(r.data)) for r in records],
            "current": current,
            "acting": acting,
            "approval": current is not None and current.step.kind == StepKind.APPROVAL,
            "shown": [(s, in_words(s["data"])) for s in shown["steps"]] if shown else [],
            "error": error,
            "typed": request.POST.get("comment", "") if error else "",
            "chosen": request.POST.getlist("choice") if error else [],
            "chosen_secondary": request.POST.getlist("secondary") if error else [],
            "sent_back": sent_back,
            "candidates": (
                candidates_for(item.conversation)
                if acting and current and current.step.key == "assign" or reassigning
                else []
            ),
            "reassigning": reassigning,
            "reassign_error": reassign_error,
            "feedback": (
                unacknowledged_feedback(item)
                if item.conversation.agent_id == request.user.pk
                else []
            ),
            "reviews": reviews,
            "report_code": reported,
            "report": reports_for(request.user).filter(code=reported).first() if reported else None,
            "action_areas": _areas(item, request.POST.dict())
            if acting and current and current.step.key == "implement"
            else [],
            "owners": owners_for(item.conversation.team),
            "categories": (
                Category.objects.filter(is_active=True)
                if acting and current and current.step.key == "categorize"
                else []
            ),
            "metric_choices": METRIC_CHOICES,
            "archived": ArchiveRecord.objects.filter(request_code=item.code).order_by("sequence"),
            "nav": "requests",
        },
        status=status,
    )


@allowed(may_start_workflow)
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    """A request that did not come from a help desk: entered here, then the workflow starts
    (its team is one the person sees)."""
    form = NewRequestForm(request.POST or None, teams=teams_for(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            conversation = create_request(
                subject=data["subject"], text=data["text"], channel=data["channel"],
                team=data["team"], category=data["category"],
                customer_name=data["customer_name"], customer_email=data["customer_email"],
            )  # fmt: skip
            item = start(conversation, by=request.user)
        messages.success(request, "The request is recorded and its workflow has started.")
        return redirect("request-detail", item.code)
    return render(
        request,
        "workflow/new.html",
        {"form": form, "nav": "requests"},
        status=400 if request.method == "POST" else 200,
    )


@allowed(may_start_workflow)
@require_POST
def request_start(request: HttpRequest, code: str) -> HttpResponse:
    conversation = conversations_for(request.user).filter(code=code).first()
    if conversation is None:
        raise Http404("No such conversation")
    existing = Request.objects.filter(conversation=conversation).first()
    if existing is None:
        # Imported with the help desk's work in it: the steps done there are recorded as done
        # there (the assignment, the reply), with the source named.
        replied = conversation.messages.filter(author_kind="agent").exists()
        existing = start(
            conversation, by=request.user, source=conversation.source if replied else ""
        )
        messages.success(request, "The quality-control workflow has started.")
    return redirect("request-detail", existing.code)


def _areas(item: Request, posted: dict[str, str]) -> list[dict[str, Any]]:
    """Step 20's form: one action per area chosen at step 19, numbered as its fields are,
    with what was typed when the form comes back with an error."""
    due = (timezone.localdate() + timedelta(days=30)).isoformat()
    return [
        {
            "number": number,
            "area": area,
            "description": posted.get(f"action-{number}-description", ""),
            "owner": posted.get(f"action-{number}-owner", ""),
            "due": posted.get(f"action-{number}-due", due),
            "metric": posted.get(f"action-{number}-metric", ""),
        }
        for number, area in enumerate(chosen_areas(item), start=1)
    ]


def _moved_on(item: Request, step_key: str, decision: str) -> str:
    """What the person's action did, in words, for the message after it."""
    item.refresh_from_db()
    now = active_record(item)
    where = f"the request is now at “{now.step.name}”" if now else "the request is closed"
    if decision == "reject":
        return f"Sent back with your reason; {where}, and its people are told."
    if decision == "approve":
        return f"Approved; {where}."
    return f"Recorded; {where}."


@allowed(may_browse_conversations)
@require_GET
def request_archive(request: HttpRequest, code: str) -> HttpResponse:
    """A request's archived documents with their hashes, for an audit or a dispute."""
    item = _request(request, code)
    entries = ArchiveRecord.objects.filter(request_code=item.code).order_by("sequence")
    body = [
        {"sequence": e.sequence, "sha256": e.body_sha256, "hash": e.hash,
         "prev_hash": e.prev_hash, "archived_at": e.archived_at.isoformat(),
         "expired_at": e.expired_at.isoformat() if e.expired_at else None, "document": e.body}
        for e in entries
    ]  # fmt: skip
    response = JsonResponse(body, safe=False, json_dumps_params={"ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="request-{item.code}-archive.json"'
    return response
