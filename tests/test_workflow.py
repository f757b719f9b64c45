"""The request workflow (PRODUCT.md §3.1, issue #13 §1 and §4): every step, gate, skip,
rejection and illegal transition; two approvers at once; the archive and its verification."""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone as django_timezone

from supportqa.audit.models import AuditEvent
from supportqa.conversations.models import Category, Channel, Conversation
from supportqa.notifications.models import Kind, Notification
from supportqa.workflow import archive, reporting
from supportqa.workflow.defaults import DEFAULT_TEMPLATE
from supportqa.workflow.display import in_words
from supportqa.workflow.engine import (
    WorkflowError,
    active_record,
    complete,
    decide,
    default_template,
    start,
)
from supportqa.workflow.models import (
    ArchiveRecord,
    ImprovementAction,
    ManagementReport,
    Request,
    StepRecord,
)
from tests.conftest import submitted_review

State = StepRecord.State


def at(request: Request) -> str:
    record = active_record(request)
    return record.step.key if record else ""


def test_the_default_template_is_the_twenty_steps_with_four_gates(db):
    steps = list(default_template().steps.all())
    assert [s.position for s in steps] == list(range(1, 21))
    assert [s.key for s in steps] == [s["key"] for s in DEFAULT_TEMPLATE["steps"]]
    gates = [(s.position, s.gate, s.reject_to) for s in steps if s.kind == "approval"]
    assert gates == [(6, 1, "confirm"), (11, 2, "respond"), (15, 3, "evaluate"), (18, 4, "report")]


def test_a_request_starts_with_what_the_system_can_do_and_waits_for_the_representative(cast):
    request = start(cast.conversation, by=cast.lead)
    done = {r.step.key: r for r in request.records.filter(state=State.DONE)}
    assert list(done) == ["check", "categorize", "assign", "record-request"]
    assert done["assign"].data["username"] == "agent"
    assert done["categorize"].data["category"] == cast.conversation.category.name
    assert at(request) == "confirm"
    told = Notification.objects.get(user=cast.agent, kind=Kind.WORKFLOW_STEP)
    assert told.link == f"/requests/{request.code}/" and "Confirm understanding" in told.text
    assert AuditEvent.objects.filter(action="workflow.step_done").count() == 4
    with pytest.raises(WorkflowError, match="already started"):
        start(cast.conversation)


def test_illegal_transitions_are_refused_with_the_reason(cast):
    request = start(cast.conversation)
    wrong_step = "not at “Approval 1: understanding of the request”; it is at “Confirm"
    with pytest.raises(WorkflowError, match=wrong_step):
        decide(request, "gate-1", by=cast.lead, approve=True)
    with pytest.raises(WorkflowError, match="you may not do “Confirm understanding”"):
        complete(request, "confirm", by=cast.teammate, choice="Yes")
    with pytest.raises(WorkflowError, match="choose one of: Yes, No"):
        complete(request, "confirm", by=cast.agent, choice="Maybe")
    complete(request, "confirm", by=cast.agent, choice="Yes")
    with pytest.raises(WorkflowError, match="is an approval: approve or reject it"):
        complete(request, "gate-1", by=cast.lead)
    with pytest.raises(WorkflowError, match="give the reason for the rejection"):
        decide(request, "gate-1", by=cast.lead, approve=False, comment="  ")
    with pytest.raises(WorkflowError, match="you may not decide"):
        decide(request, "gate-1", by=cast.agent, approve=True)
    assert at(request) == "gate-1"


def test_not_understood_waits_for_a_clarification(cast):
    request = start(cast.conversation)
    complete(request, "confirm", by=cast.agent, choice="No", comment="Which order?")
    records = list(request.records.filter(step__key="confirm").order_by("attempt"))
    assert [(r.attempt, r.state) for r in records] == [(1, State.DONE), (2, State.ACTIVE)]
    assert records[0].data == {"choice": "No", "needs_clarification": True}
    with pytest.raises(WorkflowError, match="write the question to clarify"):
        complete(request, "confirm", by=cast.agent, choice="No")
    complete(request, "confirm", by=cast.agent, choice="Yes")
    assert at(request) == "gate-1"


def walk_to(request, step, cast):
    """Do every step as the person it belongs to until `step` is active."""
    people = {"agent": request.conversation.agent, "qa": cast.qa, "lead": cast.lead,
              "manager": cast.manager}  # fmt: skip
    while at(request) != step:
        record = active_record(request)
        by = people[record.step.role]
        if record.step.kind == "approval":
            decide(request, record.step.key, by=by, approve=True, comment="fine")
        else:
            mine = request.conversation.reviews.filter(reviewer=cast.qa)
            if record.step.key == "monitor" and not mine.exists():
                submitted_review(request.conversation, cast.qa, position=1)
            elif record.step.key == "monitor":  # checked again after a new reply: edited
                mine.update(updated_at=django_timezone.now())
            data = {"reply": "Your refund is on its way."} if record.step.key == "respond" else None
            if record.step.key == "categorize":  # (a flushed database has no categories)
                category = Category.objects.filter(is_active=True).first()
                category = category or Category.objects.create(name="General")
                data = {"category": category.code}
            complete(
                request, record.step.key, by=by, choice=(record.step.choices or [""])[0],
                comment="checked", data=data,
            )  # fmt: skip
        request.refresh_from_db()


def test_a_rejection_sends_the_request_back_with_the_reason_and_keeps_the_history(cast):
    request = start(cast.conversation)
    walk_to(request, "gate-2", cast)
    decide(request, "gate-2", by=cast.lead, approve=False, comment="Wrong refund amount quoted.")
    assert at(request) == "respond"
    respond = list(request.records.filter(step__key="respond").order_by("attempt"))
    assert [(r.attempt, r.state) for r in respond] == [(1, State.REDONE), (2, State.ACTIVE)]
    gate = request.records.get(step__key="gate-2", attempt=1)
    assert gate.state == State.REJECTED and gate.comment == "Wrong refund amount quoted."
    assert [s["step"] for s in gate.shown["steps"]] == [
        "Respond", "Monitor the response", "Record the response", "Feedback to the representative",
    ]  # fmt: skip
    told = Notification.objects.get(user=cast.agent, kind=Kind.WORKFLOW_SENT_BACK)
    assert "Wrong refund amount quoted." in told.text
    assert AuditEvent.objects.get(action="workflow.rejected").data["gate"] == 2
    walk_to(request, "gate-2", cast)
    assert request.records.filter(step__key="monitor", attempt=2, state=State.DONE).exists()


def test_one_request_from_arrival_through_all_four_gates_to_the_archive(cast):
    request = start(cast.conversation, by=cast.lead)
    walk_to(request, "gate-4", cast)
    report = ManagementReport.objects.get()
    assert request.records.get(step__key="report").data["report"] == report.code
    evaluated = request.records.get(step__key="evaluate").shown["steps"]
    assert [s["step"] for s in evaluated] == [
        "Record the response", "Monitor the response", "Record the customer's feedback",
    ]  # fmt: skip
    assert "first_reply_seconds" in evaluated[0]["data"] and "check_score" in evaluated[1]["data"]
    assert (report.team, report.state) == (cast.team, ManagementReport.State.DRAFT)
    with pytest.raises(WorkflowError, match="is decided on the management report"):
        decide(request, "gate-4", by=cast.manager, approve=True)
    with pytest.raises(reporting.ReportError, match="the report is draft"):
        reporting.decide(report, by=cast.manager, approve=True, comment="")
    reporting.submit(report, by=cast.lead, summary="Refund errors halved.")
    with pytest.raises(reporting.ReportError, match="only a manager"):
        reporting.decide(report, by=cast.lead, approve=True, comment="")
    reporting.decide(report, by=cast.manager, approve=True, comment="Report approved.")
    gate = request.records.get(step__key="gate-4")
    assert (gate.state, gate.actor, gate.comment) == (State.DONE, cast.manager, "Report approved.")
    with pytest.raises(WorkflowError, match="choose one or more of: Response time"):
        complete(request, "improvements", by=cast.manager, choice=["Training needs", "Luck"])
    complete(request, "improvements", by=cast.manager,
             choice=["Training needs", "Knowledge base updates"])  # fmt: skip
    areas = request.records.get(step__key="improvements").data["choice"]
    assert areas == ["Knowledge base updates", "Training needs"]  # the template's order
    due = (date.today() + timedelta(days=30)).isoformat()
    form = {
        "action-1-description": "Add the refund policy article.",
        "action-1-owner": str(cast.lead.pk),
        "action-1-due": due,
        "action-1-metric": "fcr",
        "action-2-description": "Refund training.",
        "action-2-owner": str(cast.qa.pk),
        "action-2-due": due,
    }
    with pytest.raises(WorkflowError, match="Training needs: choose the metric it should move"):
        complete(request, "implement", by=cast.manager, data=form)
    assert not ImprovementAction.objects.exists()  # all or nothing
    complete(request, "implement", by=cast.manager, data={**form, "action-2-metric": "csat"})
    actions = list(ImprovementAction.objects.order_by("area"))
    assert [(a.area, a.metric, a.owner, a.team) for a in actions] == [
        ("Knowledge base updates", "fcr", cast.lead, cast.team),
        ("Training needs", "csat", cast.qa, cast.team),
    ]
    request.refresh_from_db()
    assert request.state == Request.State.CLOSED and at(request) == ""
    assert request.records.filter(state=State.DONE).count() == 20
    entries = list(ArchiveRecord.objects.order_by("sequence"))
    assert [e.body["reason"] for e in entries] == ["dialogue", "closed"]
    assert entries[1].body["conversation"]["messages"][0]["text"] == "message 0"
    assert len(entries[1].body["request"]["steps"]) == 20
    assert archive.verify() == []
    assert AuditEvent.objects.filter(action="workflow.closed").count() == 1


def test_a_step_is_skipped_only_by_the_template_and_says_why(cast):
    template = default_template()
    template.steps.filter(key="monitor").update(skip_channels=["chat"])
    request = start(cast.conversation)
    monitor = request.records.get(step__key="monitor")
    assert monitor.state == State.SKIPPED
    assert monitor.data == {"reason": "skipped by the template for the chat channel"}
    walk_to(request, "gate-2", cast)
    assert not request.records.filter(step__key="monitor", state=State.DONE).exists()


def test_steps_done_in_the_help_desk_are_recorded_with_their_source(cast):
    request = start(cast.conversation, source="zendesk")
    complete(request, "confirm", by=cast.agent, choice="Yes")
    decide(request, "gate-1", by=cast.lead, approve=True)
    assert at(request) == "monitor"  # the reply was written in the help desk
    respond = request.records.get(step__key="respond")
    assert respond.state == State.DONE and respond.data["source"] == "zendesk"
    assert request.records.get(step__key="assign").data["reason"] == "assigned in zendesk"
    walk_to(request, "gate-2", cast)
    decide(request, "gate-2", by=cast.lead, approve=False, comment="Wrong amount.")
    assert at(request) == "respond"  # a response sent back is written again, in SupportQA


def test_starting_on_an_imported_conversation_names_its_help_desk(cast, client):
    client.force_login(cast.lead)
    client.post(f"/conversations/{cast.conversation.code}/workflow/")
    assert Request.objects.get(conversation=cast.conversation).source == "test"


def test_a_decision_on_a_page_left_open_is_refused_naming_who_decided(cast):
    """Two approvers: the second, whose page still shows the gate waiting, is told who
    decided it and when; nothing changes."""
    request = start(cast.conversation)
    walk_to(request, "gate-1", cast)
    stale = Request.objects.get(pk=request.pk)
    decide(request, "gate-1", by=cast.lead, approve=True)
    with pytest.raises(WorkflowError, match="not at “Approval 1.*”; Lead approved it at"):
        decide(stale, "gate-1", by=cast.manager, approve=False, comment="no")
    gate = request.records.get(step__key="gate-1")
    assert gate.state == State.DONE and gate.actor == cast.lead


@pytest.mark.django_db(transaction=True)
def test_two_approvers_at_once_exactly_one_decision_wins(cast):
    from supportqa.workflow.defaults import build_template
    from supportqa.workflow.models import Template, TemplateStep

    if not Template.objects.filter(is_default=True).exists():  # flushed by an earlier test
        build_template({"Template": Template, "TemplateStep": TemplateStep}, DEFAULT_TEMPLATE,
                       default=True)  # fmt: skip
    request = start(cast.conversation)
    walk_to(request, "gate-1", cast)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def decide_as(name, user, approve):
        try:
            barrier.wait()
            decide(Request.objects.get(pk=request.pk), "gate-1", by=user, approve=approve,
                   comment="checked")  # fmt: skip
            outcomes[name] = "won"
        except WorkflowError as error:
            outcomes[name] = str(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide_as, args=("lead", cast.lead, True)),
        threading.Thread(target=decide_as, args=("manager", cast.manager, False)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()).count("won") == 1
    loser = next(v for v in outcomes.values() if v != "won")
    assert "not at “Approval 1" in loser or "already" in loser
    assert request.records.filter(step__key="gate-1", state__in=["done", "rejected"]).count() == 1


def test_the_archive_names_a_changed_byte_a_removed_record_and_a_swap(cast):
    for conversation in (cast.conversation, cast.teammate_conversation, cast.other_conversation):
        request = start(conversation)
        archive.append(request, reason="dialogue")
    assert archive.verify() == []
    out = StringIO()
    call_command("archive", "verify", stdout=out)
    assert "3 records, the chain is intact" in out.getvalue()
    second = ArchiveRecord.objects.get(sequence=2)
    body = second.body
    body["conversation"]["messages"][0]["text"] = "message 1"  # one byte
    ArchiveRecord.objects.filter(pk=second.pk).update(body=body)
    assert archive.verify() == [
        f"record 2 (request {second.request_code}): its content was altered"
    ]
    with pytest.raises(CommandError, match="1 problem"):
        call_command("archive", "verify", stdout=StringIO(), stderr=StringIO())


def test_the_archive_names_removed_and_swapped_records(cast):
    for conversation in (cast.conversation, cast.teammate_conversation, cast.other_conversation):
        archive.append(start(conversation), reason="dialogue")
    ArchiveRecord.objects.filter(sequence=2).delete()
    problems = archive.verify()
    assert problems[0] == "record 2 removed: the chain jumps to 3"
    assert "record 3" in problems[1] and "does not follow the record before it" in problems[1]
    ArchiveRecord.objects.all().delete()
    for conversation in (cast.conversation, cast.teammate_conversation):
        archive.append(Request.objects.get(conversation=conversation), reason="again")
    first, second = ArchiveRecord.objects.order_by("sequence")
    ArchiveRecord.objects.filter(pk=first.pk).update(sequence=100)
    ArchiveRecord.objects.filter(pk=second.pk).update(sequence=first.sequence)
    ArchiveRecord.objects.filter(pk=first.pk).update(sequence=second.sequence)
    swapped = archive.verify()
    assert any(f"request {second.request_code}" in p and "place" in p for p in swapped)
    assert any(f"request {first.request_code}" in p for p in swapped)


def test_retention_drops_bodies_and_the_chain_still_verifies(cast):
    from datetime import timedelta

    from django.utils import timezone

    for conversation in (cast.conversation, cast.teammate_conversation):
        archive.append(start(conversation), reason="dialogue")
    assert archive.expire(timezone.now() + timedelta(seconds=1)) == 2
    assert not ArchiveRecord.objects.filter(body__isnull=False).exists()
    assert archive.verify() == []


def test_the_pages_walk_a_request_and_keep_scope(cast):
    from django.urls import reverse

    lead = cast.client(cast.lead)
    page = lead.get(reverse("conversation-detail", args=[cast.conversation.code]))
    assert "Start the quality-control workflow" in page.content.decode()
    started = lead.post(reverse("request-start", args=[cast.conversation.code]))
    request = Request.objects.get(conversation=cast.conversation)
    assert started["Location"] == reverse("request-detail", args=[request.code])
    url = reverse("request-detail", args=[request.code])
    agent = cast.client(cast.agent)
    assert "your turn" in agent.get(reverse("request-list")).content.decode()
    assert agent.post(url, {"step": "confirm", "choice": "Yes"}).status_code == 302
    refused = agent.post(url, {"step": "gate-1", "decision": "approve"})
    assert refused.status_code == 400 and "You may not decide" in refused.context["error"]
    rejected = lead.post(url, {"step": "gate-1", "decision": "reject", "comment": ""})
    assert rejected.status_code == 400 and "Give the reason" in rejected.context["error"]
    shown = lead.get(url)
    assert shown.context["acting"] and shown.context["approval"]
    assert [s["step"] for s, _ in shown.context["shown"]][-2:] == [
        "Record the request", "Confirm understanding",
    ]  # fmt: skip
    assert lead.post(url, {"step": "gate-1", "decision": "approve"}).status_code == 302
    assert at(request) == "monitor"  # imported with its reply: step 7 recorded from "test"
    # Outside the scope: 404, page and action alike.
    other_lead = cast.client(cast.other_agent)
    assert other_lead.get(url).status_code == 404
    assert other_lead.post(url, {"step": "monitor"}).status_code == 404
    assert cast.client(cast.outsider).get(reverse("request-list")).status_code == 404
    assert (
        cast.client(cast.agent)
        .post(reverse("request-start", args=[cast.teammate_conversation.code]))
        .status_code
        == 404
    )  # agents do not start requests


def test_a_request_without_an_agent_goes_to_the_most_skilled_free_representative(cast):
    """Assignment reads skills of the conversation's category and open requests; a lead
    assigns by hand, with a reason, when nobody can be chosen."""
    from supportqa.accounts.models import AgentSkill
    from tests.conftest import make_conversation

    category = cast.conversation.category
    AgentSkill.objects.create(agent=cast.teammate, category=category, level=4)
    AgentSkill.objects.create(agent=cast.agent, category=category, level=2)
    new = make_conversation(cast.agent, cast.team, "unassigned")
    type(new).objects.filter(pk=new.pk).update(agent=None)
    new.refresh_from_db()
    request = start(new)
    assign = request.records.get(step__key="assign")
    assert assign.state == State.DONE and assign.data["username"] == "teammate"
    assert assign.data["reason"].startswith("Teammate: skill in ")
    new.refresh_from_db()
    assert new.agent == cast.teammate and at(request) == "confirm"
    # Nobody in the team: a lead assigns, naming why.
    lonely = make_conversation(cast.other_agent, cast.other_team, "nobody")
    type(lonely).objects.filter(pk=lonely.pk).update(agent=None)
    cast.other_agent.is_active = False
    cast.other_agent.save()
    lonely.refresh_from_db()
    waiting = start(lonely)
    assert at(waiting) == "assign"
    with pytest.raises(WorkflowError, match="choose the representative"):
        complete(waiting, "assign", by=cast.manager, comment="covering")
    with pytest.raises(WorkflowError, match="say why this representative"):
        complete(waiting, "assign", by=cast.manager, data={"representative": str(cast.agent.pk)})
    complete(waiting, "assign", by=cast.manager, comment="Team B is away this week",
             data={"representative": str(cast.agent.pk)})  # fmt: skip
    lonely.refresh_from_db()
    assert lonely.agent == cast.agent and at(waiting) == "confirm"


def test_whose_turn_it_is_shows_on_the_home_page_and_the_archive_downloads(cast):
    from django.urls import reverse

    request = start(cast.conversation)
    home = cast.client(cast.agent).get(reverse("home"))
    assert [r.request for r in home.context["requests"]] == [request]
    assert "Requests waiting for you" in home.content.decode()
    assert cast.client(cast.teammate).get(reverse("home")).context["requests"] == []
    complete(request, "confirm", by=cast.agent, choice="Yes")
    lead_home = cast.client(cast.lead).get(reverse("home")).context["requests"]
    assert [r.step.key for r in lead_home] == ["gate-1"]
    assert cast.client(cast.agent).get(reverse("home")).context["requests"] == []
    walk_to(request, "evaluate", cast)  # past step 13: archived once
    url = reverse("request-archive", args=[request.code])
    documents = cast.client(cast.lead).get(url).json()
    assert [d["document"]["reason"] for d in documents] == ["dialogue"]
    assert cast.client(cast.other_agent).get(url).status_code == 404


def test_the_list_filters_by_team_and_step(cast):
    from django.urls import reverse

    here = start(cast.conversation)
    there = start(cast.other_conversation)
    client = cast.client(cast.manager)
    url = reverse("request-list")
    everything = client.get(url, {"show": "open"}).context["rows"]
    assert {r[0] for r in everything} == {here, there}
    team_a = client.get(url, {"show": "open", "team": cast.team.code}).context["rows"]
    assert [r[0] for r in team_a] == [here]
    complete(here, "confirm", by=cast.agent, choice="Yes")
    at_gate = client.get(url, {"show": "open", "step": "gate-1"}).context["rows"]
    assert [r[0] for r in at_gate] == [here]


def test_step_one_scores_urgency_and_complexity_with_reasons(cast):
    conversation = cast.conversation
    conversation.messages.filter(seq=0).update(
        text="The checkout is not working and I am furious, this is a disgrace!"
    )
    conversation.tags = ["VIP"]
    conversation.save()
    request = start(conversation)
    check = request.records.get(step__key="check").data
    assert check["urgency"]["level"] == "high"
    assert check["urgency"]["reasons"][0] == "outage or urgency words (“not working”)"
    assert "VIP customer" in check["urgency"]["reasons"]
    assert check["complexity"]["level"] == "low"
    conversation.refresh_from_db()
    assert (conversation.urgency, conversation.complexity) == ("high", "low")
    page = in_words(check)
    assert page.startswith("messages 4; urgency high (") and "VIP customer" in page


def test_the_archive_is_searched_within_the_persons_scope(cast, client):
    mine = start(cast.conversation)
    archive.append(mine, reason="dialogue")
    archive.append(start(cast.other_conversation), reason="dialogue")
    client.force_login(cast.lead)
    page = client.get("/requests/", {"show": "archive", "q": "message 0"})
    assert mine.code in page.content.decode()
    other = Request.objects.get(conversation=cast.other_conversation).code
    assert other not in page.content.decode()  # the other team's request is out of scope
    by_code = client.get("/requests/", {"show": "archive", "q": mine.conversation.code})
    assert mine.code in by_code.content.decode()
    cast.conversation.messages.filter(seq=0).update(text="Frau Müller schreibt: Привет")
    archive.append(mine, reason="again")

    def found(words: str) -> bool:
        page = client.get("/requests/", {"show": "archive", "q": words})
        return mine.code in page.content.decode()

    assert found("Müller") and found("Привет")  # not only ASCII, on SQLite too
    archive.expire(django_timezone.now() + timedelta(days=1))
    assert not found("Müller")  # the retention policy dropped the words with the body
    nothing = client.get("/requests/", {"show": "archive", "q": "no such words"})
    assert b"Nothing archived matches." in nothing.content


def test_a_lead_reassigns_an_open_request_with_the_reason(cast, client):
    from supportqa.workflow.engine import reassign

    request = start(cast.conversation)
    with pytest.raises(WorkflowError, match="you may not reassign"):
        reassign(request, by=cast.agent, representative=str(cast.teammate.pk), reason="x")
    with pytest.raises(WorkflowError, match="say why it changes hands"):
        reassign(request, by=cast.lead, representative=str(cast.teammate.pk), reason=" ")
    with pytest.raises(WorkflowError, match="Agent already has this request"):
        reassign(request, by=cast.lead, representative=str(cast.agent.pk), reason="x")
    client.force_login(cast.lead)
    response = client.post(f"/requests/{request.code}/", {
        "action": "reassign", "representative": str(cast.teammate.pk),
        "reason": "Agent is on leave this week."})  # fmt: skip
    assert response.status_code == 302
    cast.conversation.refresh_from_db()
    assert cast.conversation.agent == cast.teammate
    assigned = request.records.get(step__key="assign").data["reassigned"]
    assert [(c["from"], c["to"], c["reason"]) for c in assigned] == [
        ("Agent", "Teammate", "Agent is on leave this week.")
    ]
    told = Notification.objects.get(user=cast.teammate, kind=Kind.WORKFLOW_STEP)
    assert "Agent is on leave this week." in told.text
    assert AuditEvent.objects.filter(action="workflow.reassigned").count() == 1
    complete(request, "confirm", by=cast.teammate, choice="Yes")  # the new representative acts


def test_assignment_prefers_agents_on_shift(cast):
    from datetime import timedelta as span

    from django.utils import timezone

    from supportqa.accounts.models import Shift
    from supportqa.workflow.assignment import candidates_for

    now = timezone.now()
    Shift.objects.create(agent=cast.teammate, starts_at=now - span(hours=2),
                         ends_at=now + span(hours=6))  # fmt: skip
    Shift.objects.create(agent=cast.agent, starts_at=now + span(hours=8),
                         ends_at=now + span(hours=16))  # fmt: skip
    working = {c.name: c.on_shift for c in candidates_for(cast.conversation)}
    assert working == {"Agent": False, "Teammate": True}


def test_the_representative_replies_in_supportqa_and_acknowledges_the_feedback(cast, client):
    from supportqa.conversations.models import Message
    from supportqa.workflow.engine import acknowledge_feedback, unacknowledged_feedback

    request = start(cast.conversation)
    walk_to(request, "respond", cast)
    before = cast.conversation.messages.count()
    with pytest.raises(WorkflowError, match="write your reply to the customer"):
        complete(request, "respond", by=cast.agent, data={"reply": "  "})
    client.force_login(cast.agent)
    page = client.post(f"/requests/{request.code}/",
                       {"step": "respond", "reply": "Refunded: 12 EUR, 3 days."})  # fmt: skip
    assert page.status_code == 302  # the reply goes through the page, as a user sends it
    reply = Message.objects.get(conversation=cast.conversation, seq=before)
    assert (reply.author, reply.author_kind) == (cast.agent, "agent")
    assert reply.text == "Refunded: 12 EUR, 3 days."
    respond = request.records.get(step__key="respond")
    assert respond.data["source"] == "SupportQA" and respond.data["message"] == before + 1
    with pytest.raises(WorkflowError, match="check the response first"):
        complete(request, "monitor", by=cast.qa)
    submitted_review(cast.conversation, cast.lead, position=0)  # someone else's review
    with pytest.raises(WorkflowError, match="check the response first"):
        complete(request, "monitor", by=cast.qa)  # does not stand for the QA's own check
    review = submitted_review(cast.conversation, cast.qa, position=1)
    complete(request, "monitor", by=cast.qa)
    check = request.records.get(step__key="monitor").data
    assert (check["review"], check["check_score"]) == (review.code, review.final_score)
    complete(request, "feedback", by=cast.qa, comment="Quote the refund policy next time.")
    told = Notification.objects.get(user=cast.agent, kind=Kind.WORKFLOW_FEEDBACK)
    assert "Quote the refund policy next time." in told.text
    with pytest.raises(WorkflowError, match="only the representative"):
        acknowledge_feedback(request, by=cast.teammate)
    assert b"I have read it" in client.get(f"/requests/{request.code}/").content
    assert b"Feedback for you to read" in client.get("/requests/").content
    assert b"feedback for you to read" in client.get("/").content
    client.post(f"/requests/{request.code}/", {"action": "acknowledge"})
    assert unacknowledged_feedback(request) == []
    assert "acknowledged_at" in request.records.get(step__key="feedback").data
    decide(request, "gate-2", by=cast.lead, approve=True)
    shown = request.records.get(step__key="gate-2").shown["steps"]
    assert "acknowledged_at" in shown[-1]["data"]  # the approver saw it was read


def test_admins_edit_a_template_and_its_steps_are_checked_as_a_whole(cast, client):
    from django.forms.models import inlineformset_factory

    from supportqa.workflow.admin import StepInline, StepsFormSet
    from supportqa.workflow.models import Template, TemplateStep

    template = default_template()
    client.force_login(cast.admin)
    page = client.get(f"/admin/workflow/template/{template.pk}/change/")
    assert page.status_code == 200 and b"Approval 4: management" in page.content
    client.force_login(cast.lead)
    assert client.get(f"/admin/workflow/template/{template.pk}/change/").status_code == 404
    Steps = inlineformset_factory(Template, TemplateStep, formset=StepsFormSet,
                                  fields=StepInline.fields, extra=0)  # fmt: skip
    initial = Steps(instance=template)
    data = {f"{initial.prefix}-{k}": v for k, v in initial.management_form.initial.items()}
    for i, form in enumerate(initial.forms):
        for name in StepInline.fields:
            value = form.initial.get(name)
            if name == "skip_categories":
                continue
            if isinstance(value, list):
                value = json.dumps(value)
            if value is not None and value is not False:
                data[f"{initial.prefix}-{i}-{name}"] = value
        data[f"{initial.prefix}-{i}-id"] = form.instance.pk
        data[f"{initial.prefix}-{i}-template"] = template.pk
    assert Steps(data, instance=template).is_valid()
    gate = next(i for i, f in enumerate(initial.forms) if f.instance.key == "gate-2")
    broken = {**data, f"{initial.prefix}-{gate}-reject_to": "implement",
              f"{initial.prefix}-0-skip_channels": '["fax"]'}  # fmt: skip
    formset = Steps(broken, instance=template)
    assert not formset.is_valid()
    assert formset.non_form_errors() == [
        "“Check the incoming request”: no channel fax (channels: " + ", ".join(
            Channel.values) + ")",
        "“Approval 2: the representative's response”: a rejection returns to an earlier "
        "step's key",
    ]  # fmt: skip


def test_a_category_names_what_a_request_must_say_and_step_one_asks_for_the_rest(cast):
    category = cast.conversation.category
    category.required_info = ["order_number", "email"]
    category.save()
    cast.conversation.messages.filter(seq=0).update(text="My order 4471932 never came.")
    Conversation.objects.filter(pk=cast.conversation.pk).update(subject="")
    request = start(cast.conversation)
    check = active_record(request)
    assert check.step.key == "check" and check.data["needs_clarification"]
    assert check.data["missing"] == ["the e-mail address of your account"]
    assert check.data["question"] == (
        "Thank you for your message. So that we can help you, could you send us the e-mail "
        "address of your account?"
    )
    with pytest.raises(WorkflowError, match="record what the customer clarified"):
        complete(request, "check", by=cast.agent)
    complete(request, "check", by=cast.agent, comment="Customer: ann@example.org")
    assert at(request) == "confirm"
    assert "urgency" in request.records.get(step__key="check").data  # the scores stay


@pytest.mark.parametrize("step", [s["key"] for s in DEFAULT_TEMPLATE["steps"]])
def test_no_step_can_be_done_out_of_turn(cast, step):
    """Every step and gate, tried while the request waits at step 5, is refused with where the
    request is; nothing changes."""
    request = start(cast.conversation)
    before = list(request.records.values_list("pk", "state", "attempt"))
    act = decide if step.startswith("gate-") else complete
    extra = {"approve": True} if act is decide else {}
    expected = "it is at “Confirm understanding”" if step != "confirm" else "you may not do"
    with pytest.raises(WorkflowError, match=expected):
        act(request, step, by=cast.admin if step != "confirm" else cast.lead, **extra)
    assert list(request.records.values_list("pk", "state", "attempt")) == before


def test_a_closed_request_refuses_every_step(cast):
    request = start(cast.conversation)
    Request.objects.filter(pk=request.pk).update(state=Request.State.CLOSED)
    for step in ("confirm", "gate-1", "implement"):
        act = decide if step.startswith("gate-") else complete
        with pytest.raises(WorkflowError, match="the request is closed"):
            act(request, step, by=cast.admin, **({"approve": True} if act is decide else {}))


def test_a_request_entered_in_supportqa_runs_the_workflow(cast, client):
    client.force_login(cast.lead)
    form = {"subject": "Parcel never came", "text": "My order 4471932 never came.",
            "channel": "phone", "team": cast.other_team.pk, "customer_name": "Ann Lee",
            "customer_email": "ann@example.org"}  # fmt: skip
    refused = client.post("/requests/new/", form)  # a team the lead does not lead
    assert refused.status_code == 400 and "Select a valid choice" in refused.content.decode()
    response = client.post("/requests/new/", {**form, "team": cast.team.pk})
    request = Request.objects.get()
    assert response["Location"] == f"/requests/{request.code}/"
    conversation = request.conversation
    assert (conversation.source, conversation.channel, conversation.team) == (
        "supportqa",
        "phone",
        cast.team,
    )
    assert conversation.messages.get().text == "My order 4471932 never came."
    assert conversation.customer.email == "ann@example.org" and request.source == ""
    assert at(request) == "categorize"  # no category yet: a lead chooses, with a suggestion
    assert client.get(f"/requests/{request.code}/").status_code == 200
