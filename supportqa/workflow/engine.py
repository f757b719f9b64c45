"""Running a request through its workflow: start, the automatic steps, a person's step, an
approval gate's decision, a rejection's way back, closing. Every transition is one
transaction with an audit event; a transition the state does not allow is refused with a
WorkflowError that says why.

States of a step's record: waiting → active → done (or skipped by the template when the
request starts; or, at a gate, rejected). A rejection marks the records from the step the
template names up to the gate "sent back" and passes those steps again as new attempts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from supportqa.accounts.models import Role, User
from supportqa.audit.actions import record_event
from supportqa.conversations.actions import add_reply, update_conversations
from supportqa.conversations.categorize import request_text, suggest
from supportqa.conversations.models import Category, Conversation
from supportqa.core.intake import clarification, missing_information
from supportqa.notifications.actions import notify
from supportqa.notifications.models import Kind
from supportqa.reviews.models import IQS_SOURCES, Source
from supportqa.workflow import archive, improvements, intake, reporting
from supportqa.workflow.access import MAY_DO, actors_of, may_act, person_from, requests_for
from supportqa.workflow.assignment import choose
from supportqa.workflow.models import Request, StepKind, StepRecord, Template, TemplateStep

State = StepRecord.State


class WorkflowError(ValueError):
    """A transition the request's state does not allow, in words."""


def default_template() -> Template:
    template = Template.objects.filter(is_default=True).first()
    if template is None:
        raise WorkflowError("no default workflow template: run the migrations")
    return template


def _skipped_by(step: TemplateStep, conversation: Conversation) -> str:
    """Why the template skips this step for the conversation ("" if it does not)."""
    if conversation.channel in (step.skip_channels or []):
        return f"skipped by the template for the {conversation.channel} channel"
    if conversation.category_id and any(
        c.pk == conversation.category_id for c in step.skip_categories.all()
    ):
        return f"skipped by the template for the category {conversation.category}"
    return ""


def start(
    conversation: Conversation,
    *,
    by: User | None = None,
    template: Template | None = None,
    source: str = "",
) -> Request:
    """Start a conversation's request (one per conversation). Steps the template skips for
    its channel or category are recorded as skipped with the reason; with `source` (a help
    desk the conversation was imported from), the automatic steps it already did are recorded
    as done there. Then the first steps run."""
    template = template or default_template()
    with transaction.atomic():
        if Request.objects.filter(conversation=conversation).exists():
            raise WorkflowError("this conversation's request has already started")
        request = Request.objects.create(
            conversation=conversation, template=template, source=source
        )
        now = timezone.now()
        steps = list(template.steps.prefetch_related("skip_categories"))
        for step in steps:
            reason = _skipped_by(step, conversation)
            StepRecord.objects.create(
                request=request,
                step=step,
                state=State.SKIPPED if reason else State.WAITING,
                data={"reason": reason} if reason else {},
                finished_at=now if reason else None,
            )
        record_event(
            actor=by,
            action="workflow.started",
            obj=request,
            data={"conversation": conversation.code, "template": template.name, "source": source},
        )
        _advance(request)
    return request


def _next_waiting(request: Request) -> StepRecord | None:
    return (
        request.records.filter(state=State.WAITING)
        .select_related("step")
        .order_by("step__position", "attempt")
        .first()
    )


def active_record(request: Request) -> StepRecord | None:
    return request.records.filter(state=State.ACTIVE).select_related("step", "actor").first()


def _advance(request: Request) -> None:
    """Activate the next waiting step; run it when it is automatic (or a record the system
    can take from the conversation) and go on; close the request when none is left."""
    while True:
        record = _next_waiting(request)
        if record is None:
            _close(request)
            return
        record.state = State.ACTIVE
        record.started_at = timezone.now()
        record.save(update_fields=["state", "started_at"])
        handler = HANDLERS.get(record.step.key)
        captured = handler(request, record) if handler else None
        if captured is None:
            if record.step.kind == StepKind.AUTOMATIC and not record.step.role:
                captured = {}  # nothing to capture, nobody to wait for
            elif not (record.step.kind == StepKind.APPROVAL and reported_in(request, record.step)):
                _tell_actors(request, record)  # (a report's gate: told when it is submitted)
                return
            else:
                return
        _finish(record, None, captured, "")


def _finish(record: StepRecord, by: User | None, data: dict[str, Any], comment: str) -> None:
    updated = StepRecord.objects.filter(pk=record.pk, state=State.ACTIVE).update(
        state=State.DONE, actor=by, finished_at=timezone.now(), data=data, comment=comment
    )
    if not updated:
        raise WorkflowError(_taken(record))
    record_event(
        actor=by,
        action="workflow.step_done",
        obj=record.request,
        data={"step": record.step.key, "attempt": record.attempt, "data": data},
    )


def _taken(record: StepRecord) -> str:
    fresh = StepRecord.objects.select_related("actor").get(pk=record.pk)
    who = fresh.actor.name if fresh.actor else "SupportQA"
    when = fresh.finished_at.strftime("%d %b %Y %H:%M") if fresh.finished_at else "just now"
    return f"“{record.step.name}” was already {fresh.get_state_display().lower()} by {who} ({when})"


def _locked(request: Request, step_key: str) -> tuple[Request, StepRecord]:
    """The request locked for a transition, and its active record, which must be the step
    named (a page left open on an earlier step is refused, not applied to another)."""
    locked = Request.objects.select_for_update().get(pk=request.pk)
    if locked.state == Request.State.CLOSED:
        raise WorkflowError("the request is closed")
    record = active_record(locked)
    if record is None or record.step.key != step_key:
        wanted = locked.template.steps.filter(key=step_key).first()
        name = wanted.name if wanted else step_key
        current = f"; it is at “{record.step.name}”" if record else ""
        last = (
            locked.records.filter(step__key=step_key, finished_at__isnull=False)
            .select_related("actor", "step")
            .order_by("-finished_at")
            .first()
        )
        if last is not None and last.actor is not None:
            verb = "rejected" if last.state == State.REJECTED else "done"
            if last.step.kind == StepKind.APPROVAL and verb == "done":
                verb = "approved"
            when = timezone.localtime(last.finished_at).strftime("%d %b %H:%M")
            current = f"; {last.actor.name} {verb} it at {when}{current}"
        raise WorkflowError(f"the request is not at “{name}”{current}")
    return locked, record


def complete(
    request: Request,
    step_key: str,
    *,
    by: User,
    choice: str | Sequence[str] = "",
    comment: str = "",
    data: dict[str, Any] | None = None,
) -> StepRecord:
    """A person does the active step (an action, a record, or an automatic step that waits
    for a person). Its choice, when the step has choices, must be one of them (one or more
    when the step allows several)."""
    with transaction.atomic():
        locked, record = _locked(request, step_key)
        step = record.step
        if step.kind == StepKind.APPROVAL:
            raise WorkflowError(f"“{step.name}” is an approval: approve or reject it")
        if not may_act(by, locked, step):
            raise WorkflowError(f"you may not do “{step.name}”")
        captured = dict(data or {}) if step.key not in ("implement", "respond") else {}
        if step.key == "check" and record.data.get("needs_clarification") and not comment.strip():
            raise WorkflowError("record what the customer clarified: the next people read it")
        if step.key == "check":  # the scores step 1 took while it waited stay
            scored = ("urgency", "complexity")
            captured = {**{k: v for k, v in record.data.items() if k in scored}, **captured}
        elif step.key == "assign":
            captured = _assign_by_hand(locked, captured, comment)
        elif step.key == "categorize":
            captured = _categorize_by_hand(locked, record, captured, comment)
        elif step.key == "report":
            captured.update(_into_report(locked, by))
        elif step.key == "respond":
            captured.update(_reply(locked, by, data or {}))
        elif step.key == "monitor":
            captured.update(_response_check(locked, by))
        elif step.key == "implement":
            captured.update(_actions(locked, data or {}, by))
        elif step.choices and step.multiple:
            given = {choice} if isinstance(choice, str) else set(choice)
            given.discard("")
            if not given or not given <= set(step.choices):
                raise WorkflowError(f"choose one or more of: {', '.join(step.choices)}")
            captured["choice"] = [c for c in step.choices if c in given]  # the template's order
        elif step.choices:
            if choice not in step.choices:
                raise WorkflowError(f"choose one of: {', '.join(step.choices)}")
            captured["choice"] = choice
        if (
            step.kind == StepKind.ACTION
            and not step.choices
            # the report, the actions, the reply and the review say what was done
            and step.key not in ("report", "implement", "respond", "monitor")
            and not comment.strip()
        ):
            raise WorkflowError(f"say what was done for “{step.name}”: the next people read it")
        if step.key == "confirm" and choice == "No" and not comment.strip():
            raise WorkflowError("write the question to clarify with the customer")
        if step.key == "confirm" and choice == "No":
            # Not understood: the request stays here while the representative clarifies.
            captured["needs_clarification"] = True
            _finish(record, by, captured, comment)
            _again(locked, [record], sent_back=False)
            _advance(locked)
            return record
        if step.key == "evaluate":
            StepRecord.objects.filter(pk=record.pk).update(shown=in_view(locked, step))
        _finish(record, by, captured, comment)
        if step.key in FEEDBACK_STEPS:
            _tell_feedback(locked, step, by, comment)
        _advance(locked)
    return record


# Steps whose comment is feedback to the representative: sent to them, acknowledged by them.
FEEDBACK_STEPS = ("feedback", "overall-feedback")


def _tell_feedback(request: Request, step: TemplateStep, by: User, feedback: str) -> None:
    agent = request.conversation.agent
    if agent is None:
        return
    notify(
        users=[agent],
        kind=Kind.WORKFLOW_FEEDBACK,
        text=f"{by.name} gave you feedback on request {request.code}: {feedback.strip()}",
        mail_text=f"{by.name} gave you feedback on request {request.code}.",
        link=f"/requests/{request.code}/",
        actor=by,
    )


def unacknowledged_feedback(request: Request) -> list[StepRecord]:
    """The feedback to the representative they have not acknowledged yet, oldest first."""
    return list(
        request.records.filter(step__key__in=FEEDBACK_STEPS, state__in=[State.DONE, State.REDONE])
        .exclude(data__has_key="acknowledged_at")
        .select_related("step", "actor")
        .order_by("finished_at")
    )


def feedback_waiting(user: User) -> QuerySet[Request]:
    """The requests with feedback the person, as their representative, has not acknowledged
    (their "Waiting for me" list and home page show them)."""
    return (
        Request.objects.filter(
            conversation__agent=user,
            records__step__key__in=FEEDBACK_STEPS,
            records__state__in=[State.DONE, State.REDONE],
        )
        .exclude(
            pk__in=StepRecord.objects.filter(
                step__key__in=FEEDBACK_STEPS, data__has_key="acknowledged_at"
            ).values("request_id")
        )
        .distinct()
    )


def acknowledge_feedback(request: Request, *, by: User) -> list[StepRecord]:
    """The representative says they read the feedback waiting for them (each kept on its
    step's record)."""
    with transaction.atomic():
        locked = Request.objects.select_for_update().get(pk=request.pk)
        if locked.conversation.agent_id != by.pk:
            raise WorkflowError("only the representative acknowledges their feedback")
        records = unacknowledged_feedback(locked)
        if not records:
            raise WorkflowError("there is no feedback waiting for your acknowledgement")
        now = timezone.now().isoformat()
        for record in records:
            record.data = {**record.data, "acknowledged_at": now}
            record.save(update_fields=["data"])
        record_event(actor=by, action="workflow.feedback_acknowledged", obj=locked,
                     data={"steps": [[r.step.key, r.attempt] for r in records]})  # fmt: skip
    return records


def _reply(request: Request, by: User, form: dict[str, Any]) -> dict[str, Any]:
    """Step 7 in SupportQA: the representative's reply becomes the conversation's next
    message (its time is the response's)."""
    text = str(form.get("reply", "")).strip()
    if not text:
        raise WorkflowError("write your reply to the customer: it is added to the conversation")
    if len(text) > 20_000:
        raise WorkflowError("the reply is longer than 20,000 characters")
    message = add_reply(request.conversation, author=by, text=text)
    return {"replied_at": message.sent_at.isoformat(), "source": "SupportQA",
            "message": message.seq + 1}  # fmt: skip


def _response_check(request: Request, by: User) -> dict[str, Any]:
    """Step 8: the response check is the reviewer's own review of the conversation (AutoQA's
    ratings pre-fill it on the conversation's page: "Start from AutoQA"), submitted or edited
    since the response it checks when that was written in SupportQA."""
    reviews = request.conversation.reviews.filter(submitted_at__isnull=False)
    mine = reviews.filter(source__in=IQS_SOURCES, reviewer=by)
    response = (
        request.records.filter(step__key="respond", state=State.DONE).order_by("-attempt").first()
    )
    if response is not None and response.data.get("source") == "SupportQA":
        mine = mine.filter(updated_at__gte=response.finished_at)
    review = mine.order_by("-updated_at").first()
    if review is None:
        raise WorkflowError(
            "check the response first: on the conversation's page review it (start from "
            "AutoQA's ratings, or edit your review with a reason since the new reply) and "
            "submit"
        )
    autoqa = reviews.filter(source=Source.AUTOQA).order_by("-submitted_at").first()
    return {
        "check_score": review.final_score,
        "checked_by": by.name,
        "review": review.code,
        "autoqa_score": autoqa.final_score if autoqa else None,
    }


def decide(
    request: Request,
    step_key: str,
    *,
    by: User,
    approve: bool,
    comment: str = "",
    via_report: bool = False,
) -> StepRecord:
    """An approval gate's decision. A rejection needs its reason and sends the request back
    to the step the template names; exactly one of two people deciding at once wins, the
    other is told who decided. A gate after a step that put the request into a management
    report is decided on that report (`reporting.decide`, which passes `via_report`)."""
    with transaction.atomic():
        locked, record = _locked(request, step_key)
        step = record.step
        if step.kind != StepKind.APPROVAL:
            raise WorkflowError(f"“{step.name}” is not an approval gate")
        report = reported_in(locked, step)
        if report and not via_report:
            raise WorkflowError(f"“{step.name}” is decided on the management report {report}")
        # (a report's decision is checked by `reporting.decide`: a manager, in scope)
        if not via_report and not may_act(by, locked, step):
            raise WorkflowError(f"you may not decide “{step.name}”")
        if not approve and not comment.strip():
            raise WorkflowError("give the reason for the rejection: its owner reads it")
        shown = gate_view(locked, step)
        updated = StepRecord.objects.filter(pk=record.pk, state=State.ACTIVE).update(
            state=State.DONE if approve else State.REJECTED,
            actor=by,
            finished_at=timezone.now(),
            comment=comment.strip(),
            shown=shown,
            data={"decision": "approved" if approve else "rejected"},
        )
        if not updated:
            raise WorkflowError(_taken(record))
        record_event(
            actor=by,
            action="workflow.approved" if approve else "workflow.rejected",
            obj=locked,
            data={"gate": step.gate, "step": step.key, "comment": comment.strip()},
        )
        if not approve:
            back = locked.template.steps.get(key=step.reject_to or step.key)
            redo = list(
                locked.records.filter(
                    state__in=[State.DONE, State.REJECTED],
                    step__position__gte=back.position,
                    step__position__lte=step.position,
                ).select_related("step")
            )
            _again(locked, redo)
            _tell_rejected(locked, back, step, by, comment.strip())
        _advance(locked)
    record.refresh_from_db()
    return record


def may_reassign(user: User, request: Request) -> bool:
    """Who hands a request to another representative: the people who do a lead's steps, for
    requests they see (the assignment step's own rule)."""
    return (
        user.is_active
        and user.role in MAY_DO[Role.LEAD]
        and requests_for(user).filter(pk=request.pk).exists()
    )


def reassign(request: Request, *, by: User, representative: str, reason: str) -> User:
    """Hand an open request to another representative after step 3, with the reason: kept on
    the assignment step's record and in the audit log; the new representative is told."""
    with transaction.atomic():
        locked = Request.objects.select_for_update().get(pk=request.pk)
        if locked.state == Request.State.CLOSED:
            raise WorkflowError("the request is closed")
        if not may_reassign(by, locked):
            raise WorkflowError("you may not reassign this request")
        assigned = (
            locked.records.filter(step__key="assign", state=State.DONE).order_by("-attempt").first()
        )
        if assigned is None:
            raise WorkflowError("the request has no representative yet: assign one at step 3")
        chosen = person_from(representative, role=Role.AGENT)
        if chosen is None:
            raise WorkflowError("choose the representative")
        conversation = locked.conversation
        if chosen.pk == conversation.agent_id:
            raise WorkflowError(f"{chosen.name} already has this request")
        if not reason.strip():
            raise WorkflowError("say why it changes hands: it is recorded")
        before = conversation.agent.name if conversation.agent else "nobody"
        update_conversations(Conversation.objects.filter(pk=conversation.pk), agent=chosen)
        change = {"from": before, "to": chosen.name, "by": by.name, "reason": reason.strip(),
                  "at": timezone.now().isoformat()}  # fmt: skip
        assigned.data = {**assigned.data, "reassigned": [*assigned.data.get("reassigned", []),
                                                         change]}  # fmt: skip
        assigned.save(update_fields=["data"])
        record_event(actor=by, action="workflow.reassigned", obj=locked, data=change)
        notify(
            users=[chosen],
            kind=Kind.WORKFLOW_STEP,
            text=f"{by.name} gave you request {locked.code}: {reason.strip()}",
            mail_text=f"{by.name} gave you request {locked.code}.",
            link=f"/requests/{locked.code}/",
            actor=by,
        )
    return chosen


def reported_in(request: Request, gate: TemplateStep) -> str:
    """The management report (its code) whose decision is this gate's: the report the step
    just before the gate put the request into, on this pass ("" if none)."""
    record = (
        request.records.filter(
            step__position__lt=gate.position, state=State.DONE, data__has_key="report"
        )
        .order_by("-step__position", "-attempt")
        .first()
    )
    return str(record.data["report"]) if record else ""


def _into_report(request: Request, by: User) -> dict[str, Any]:
    """Step 17: the request's results go into its team's management report."""
    try:
        report = reporting.report_for_request(request, by=by)
    except reporting.ReportError as exc:
        raise WorkflowError(str(exc)) from exc
    return {"report": report.code, "period": str(report)}


def chosen_areas(request: Request) -> list[str]:
    """The improvement areas step 19 chose (its latest pass): step 20 makes one action each."""
    chosen = (
        request.records.filter(step__key="improvements", state=State.DONE)
        .order_by("-attempt")
        .first()
    )
    return list(chosen.data.get("choice", [])) if chosen else []


def _actions(request: Request, form: dict[str, Any], by: User) -> dict[str, Any]:
    """Step 20: one improvement action per area chosen at step 19."""
    try:
        made = improvements.create_actions(request, chosen_areas(request), form, by=by)
    except improvements.ActionError as exc:
        raise WorkflowError(str(exc)) from exc
    return {"actions": [action.code for action in made]}


def _again(request: Request, records: list[StepRecord], *, sent_back: bool = True) -> None:
    """Pass these steps again: each gets a new attempt, waiting; the old ones are kept (and
    marked sent back, when a gate sent them back)."""
    latest: dict[int, StepRecord] = {}
    fresh = StepRecord.objects.filter(pk__in=[r.pk for r in records]).select_related("step")
    for record in fresh:
        if record.step_id not in latest or record.attempt > latest[record.step_id].attempt:
            latest[record.step_id] = record
    for record in latest.values():
        if record.state == State.DONE and sent_back:
            StepRecord.objects.filter(pk=record.pk).update(state=State.REDONE)
        StepRecord.objects.create(
            request=request, step=record.step, attempt=record.attempt + 1, state=State.WAITING
        )


# What the overall evaluation (step 14) has in view: response time, the response check
# (accuracy, professionalism), the customer's satisfaction.
IN_VIEW = ("record-response", "monitor", "customer-feedback")


def in_view(request: Request, step: TemplateStep) -> dict[str, Any]:
    """What a person deciding this step is shown (and what is kept with the decision): for an
    approval gate, `gate_view`; for the overall evaluation, the records it weighs."""
    if step.kind == StepKind.APPROVAL:
        return gate_view(request, step)
    if step.key != "evaluate":
        return {}
    latest: dict[str, StepRecord] = {}
    for record in request.records.filter(step__key__in=IN_VIEW, state=State.DONE).select_related(
        "step", "actor"
    ):
        if record.step.key not in latest or record.attempt > latest[record.step.key].attempt:
            latest[record.step.key] = record
    return {"steps": [_shown(latest[key]) for key in IN_VIEW if key in latest]}


def _shown(record: StepRecord) -> dict[str, Any]:
    return {
        "step": record.step.name,
        "by": record.actor.name if record.actor else "SupportQA",
        "at": record.finished_at.isoformat() if record.finished_at else "",
        "data": record.data,
        "comment": record.comment,
    }


def gate_view(request: Request, step: TemplateStep) -> dict[str, Any]:
    """What an approval gate shows its approver: the steps since the previous gate with who
    did them and what they captured (kept with the decision)."""
    previous = (
        request.template.steps.filter(kind=StepKind.APPROVAL, position__lt=step.position)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
        or 0
    )
    done = request.records.filter(
        step__position__gt=previous, step__position__lt=step.position, state=State.DONE
    ).select_related("step", "actor")
    return {"steps": [_shown(record) for record in done]}


def _close(request: Request) -> None:
    if request.state == Request.State.CLOSED:
        return
    request.state = Request.State.CLOSED
    request.save(update_fields=["state", "updated_at"])
    archive.append(request, reason="closed")
    record_event(actor=None, action="workflow.closed", obj=request, data={})


def _tell_actors(request: Request, record: StepRecord) -> None:
    """The people who may do a step that now waits for a person are told (and webhooks)."""
    record_event(actor=None, action="workflow.waiting", obj=request,
                 data={"step": record.step.key, "name": record.step.name})  # fmt: skip
    subject = request.conversation.subject or request.conversation.external_id
    notify(
        users=actors_of(request, record.step),
        kind=Kind.WORKFLOW_STEP,
        text=f"Request {request.code} (“{subject}”) waits for “{record.step.name}”.",
        mail_text=f"Request {request.code} waits for “{record.step.name}”.",
        link=f"/requests/{request.code}/",
    )


def _tell_rejected(
    request: Request, back: TemplateStep, gate: TemplateStep, by: User, reason: str
) -> None:
    notify(
        users=actors_of(request, back),
        kind=Kind.WORKFLOW_SENT_BACK,
        text=f"{by.name} sent request {request.code} back to “{back.name}”: {reason}",
        mail_text=f"{by.name} sent request {request.code} back to “{back.name}” at "
        f"“{gate.name}”; the reason is on the request's page.",
        link=f"/requests/{request.code}/",
        actor=by,
    )


# --- what the system does at a step -------------------------------------------------------
# A handler returns the data it captured (the step is done), or None (a person must act).

Handler = Callable[[Request, StepRecord], dict[str, Any] | None]


def _check(request: Request, record: StepRecord) -> dict[str, Any] | None:
    c = request.conversation
    missing = [
        what
        for what, present in (
            ("the customer's message", c.messages.filter(author_kind="customer").exists()),
            ("a subject or first message text", bool(c.subject) or c.messages.exists()),
        )
        if not present
    ]
    required = list(c.category.required_info or []) if c.category else []
    lacking = missing_information(request_text(c), required)
    if lacking:
        missing += lacking
    scored = intake.scores(c)
    levels = {k: scored[k]["level"] for k in ("urgency", "complexity") if not getattr(c, k)}
    if levels:  # the help desk's own levels, when it gave them, stay
        update_conversations(Conversation.objects.filter(pk=c.pk), **levels)
    if missing:
        record.data = {"missing": missing, "needs_clarification": True,
                       "question": clarification(lacking), **scored}  # fmt: skip
        record.save(update_fields=["data"])
        return None
    return {"missing": [], "messages": c.message_count, "channel": c.channel, **scored}


def _categorize(request: Request, record: StepRecord) -> dict[str, Any] | None:
    """The conversation's category when it has one (further topics the categorizer sees are
    recorded); else a lead chooses, shown the suggestion with its confidence."""
    category = request.conversation.category
    suggestion = suggest(request.conversation)
    if category is not None:
        found = {"category": category.name, "how": "from the conversation"}
        if suggestion is not None:
            others = [n for n in [suggestion.primary, *suggestion.secondary] if n != category.name]
            if others:
                found["secondary"] = others[:2]
        return found
    record.data = suggestion.as_data() if suggestion else {}
    record.save(update_fields=["data"])
    return None


def _categorize_by_hand(
    request: Request, record: StepRecord, data: dict[str, Any], comment: str
) -> dict[str, Any]:
    """A lead sets the category (and further topics); choosing other than the suggestion
    needs the reason."""
    active = Category.objects.filter(is_active=True)
    chosen = active.filter(code=str(data.get("category", ""))[:16]).first()
    if chosen is None:
        raise WorkflowError("choose the category")
    suggested = record.data.get("suggested")
    if suggested and chosen.name != suggested and not comment.strip():
        raise WorkflowError(f"say why not “{suggested}”, the suggestion: it is recorded")
    further = [str(code)[:16] for code in data.get("secondary", []) or []][:5]
    secondary = list(
        active.filter(code__in=further).exclude(pk=chosen.pk).values_list("name", flat=True)
    )
    update_conversations(Conversation.objects.filter(pk=request.conversation_id),
                         category_id=chosen.pk)  # fmt: skip
    request.conversation.category = chosen
    how = "the suggestion accepted" if chosen.name == suggested else "chosen by hand"
    kept = {k: v for k, v in record.data.items() if k in ("suggested", "confidence")}
    return {**kept, "category": chosen.name, "how": how, "secondary": secondary}


def _assign(request: Request, record: StepRecord) -> dict[str, Any] | None:
    """The conversation's agent when it has one (assigned in the help desk); else the most
    skilled representative of its team with capacity left, the least loaded among equals
    (core.assignment); else a lead assigns one."""
    conversation = request.conversation
    agent = conversation.agent
    if agent is not None:
        how = f"assigned in {request.source}" if request.source else "the conversation's agent"
        return {"representative": agent.name, "username": agent.username, "reason": how}
    choice = choose(conversation)
    if choice.candidate is None:
        record.data = {"reason": choice.reason}
        record.save(update_fields=["data"])
        return None
    chosen = User.objects.get(pk=choice.candidate.key)
    conversation.agent = chosen
    conversation.save(update_fields=["agent"])
    return {"representative": chosen.name, "username": chosen.username, "reason": choice.reason}


def _assign_by_hand(request: Request, data: dict[str, Any], comment: str) -> dict[str, Any]:
    """A lead assigns the representative: an active agent, with the reason."""
    chosen = person_from(str(data.get("representative", "")), role=Role.AGENT)
    if chosen is None:
        raise WorkflowError("choose the representative")
    if not comment.strip():
        raise WorkflowError("say why this representative: it is recorded")
    request.conversation.agent = chosen
    request.conversation.save(update_fields=["agent"])
    return {"representative": chosen.name, "username": chosen.username, "reason": comment.strip()}


def _record_request(request: Request, record: StepRecord) -> dict[str, Any] | None:
    c = request.conversation
    return {
        "received_at": c.created_at.isoformat(),
        "channel": c.channel,
        "subject": c.subject,
        "customer": (c.customer.name or c.customer.external_id) if c.customer else "",
    }


def _respond(request: Request, record: StepRecord) -> dict[str, Any] | None:
    """The help desk's reply, for a conversation imported with one (the first pass); else,
    and after a gate sent the response back, the representative writes it in SupportQA."""
    if not request.source or record.attempt > 1:
        return None
    reply = request.conversation.messages.filter(author_kind="agent").order_by("seq").first()
    return (
        None
        if reply is None
        else {"replied_at": reply.sent_at.isoformat(), "source": request.source}
    )


def _record_response(request: Request, record: StepRecord) -> dict[str, Any] | None:
    c = request.conversation
    replies = c.messages.filter(author_kind="agent").order_by("seq")
    first = replies.first()
    if first is None:
        return None
    return {
        "first_reply_at": first.sent_at.isoformat(),
        "replies": replies.count(),
        "first_reply_seconds": (first.sent_at - c.created_at).total_seconds(),
    }


def _customer_feedback(request: Request, record: StepRecord) -> dict[str, Any] | None:
    answer = request.conversation.survey_responses.order_by("-answered_at").first()
    if answer is None:
        return None
    return {"csat": answer.csat, "nps": answer.nps, "comment": answer.comment}


def take_survey_answer(sender: Any, *, conversation: Conversation, **kwargs: Any) -> None:
    """A customer answered the conversation's survey (surveys.signals.survey_answered, inside
    the answer's transaction): its open request waiting at the customer-feedback step takes
    the answer and goes on; a step that took the scores takes the comment that follows."""
    for request in (
        Request.objects.select_for_update()
        .filter(conversation=conversation)
        .exclude(state=Request.State.CLOSED)
    ):
        record = active_record(request)
        if record is not None and record.step.key == "customer-feedback":
            captured = _customer_feedback(request, record)
            if captured is not None:
                _finish(record, None, captured, "")
                _advance(request)
            continue
        taken = (
            request.records.filter(step__key="customer-feedback", state=State.DONE,
                                   actor__isnull=True)
            .order_by("-finished_at")
            .first()
        )  # fmt: skip
        answer = _customer_feedback(request, taken) if taken is not None else None
        if taken is not None and answer is not None and answer != taken.data:
            StepRecord.objects.filter(pk=taken.pk).update(data=answer)


def _archive(request: Request, record: StepRecord) -> dict[str, Any] | None:
    entry = archive.append(request, reason="dialogue")
    return {"archive_record": entry.sequence, "sha256": entry.body_sha256}


HANDLERS: dict[str, Handler] = {
    "check": _check,
    "categorize": _categorize,
    "assign": _assign,
    "record-request": _record_request,
    "respond": _respond,
    "record-response": _record_response,
    "customer-feedback": _customer_feedback,
    "archive": _archive,
}
