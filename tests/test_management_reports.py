"""The management report (steps 17–18, gate 4) and improvement actions (steps 19–20) with
their measured effect (issue #13 §5)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client

from supportqa.accounts.models import Role
from supportqa.conversations.models import Conversation
from supportqa.core.change import difference_of_shares
from supportqa.notifications.mail import send_queued
from supportqa.notifications.models import Kind, Mail, Notification
from supportqa.workflow import improvements, reporting
from supportqa.workflow.engine import WorkflowError, active_record, start
from supportqa.workflow.models import (
    ImprovementAction,
    ManagementReport,
    ReportSubscription,
    StepRecord,
)
from tests.conftest import make_conversation, make_user
from tests.test_workflow import at, walk_to


def client_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def at_gate_4(cast):
    request = start(cast.conversation, by=cast.lead)
    walk_to(request, "gate-4", cast)
    return request, ManagementReport.objects.get()


def test_a_rejected_report_sends_its_requests_back_and_the_lead_is_told(cast, at_gate_4):
    request, report = at_gate_4
    other = start(cast.teammate_conversation, by=cast.lead)
    walk_to(other, "gate-4", cast)
    assert set(reporting.linked_requests(report)) == {request, other}
    from supportqa.workflow.access import waiting_for

    assert not waiting_for(cast.manager).filter(step__key="gate-4").exists()  # on the report
    with pytest.raises(reporting.ReportError, match="write the summary"):
        reporting.submit(report, by=cast.lead, summary=" ")
    reporting.submit(report, by=cast.lead, summary="Two refund errors.")
    told = Notification.objects.filter(user=cast.manager, kind=Kind.WORKFLOW_STEP)
    assert [n.link for n in told if "Approval 4" in n.text] == []  # told of the report instead
    assert told.filter(link=f"/management-reports/{report.code}/").count() == 1
    with pytest.raises(reporting.ReportError, match="give the reason"):
        reporting.decide(report, by=cast.manager, approve=False, comment="")
    reporting.decide(report, by=cast.manager, approve=False, comment="Add the refund causes.")
    report.refresh_from_db()
    assert report.state == ManagementReport.State.REJECTED
    assert at(request) == "report" and at(other) == "report"
    gate = request.records.get(step__key="gate-4", attempt=1)
    assert (gate.state, gate.comment) == (StepRecord.State.REJECTED, "Add the refund causes.")
    sent_back = Notification.objects.get(user=cast.lead, kind=Kind.WORKFLOW_SENT_BACK,
                                         link=f"/management-reports/{report.code}/")  # fmt: skip
    assert "Add the refund causes." in sent_back.text
    with pytest.raises(reporting.ReportError, match="the report is rejected by Manager"):
        reporting.decide(report, by=cast.admin, approve=True, comment="")
    # The lead reports again into the same report, resubmits, and the manager approves.
    walk_to(request, "gate-4", cast)
    reporting.submit(report, by=cast.lead, summary="Two refund errors; causes added.")
    reporting.decide(report, by=cast.manager, approve=True, comment="")
    assert at(request) == "improvements"
    assert at(other) == "report"  # not reported again yet: it waits at step 17
    with pytest.raises(reporting.ReportError, match="the report is approved by Manager"):
        reporting.decide(report, by=cast.manager, approve=False, comment="late")
    walk_to(other, "gate-4", cast)  # this month's report is approved: a further part of it
    follow_on = ManagementReport.objects.exclude(pk=report.pk).get()
    assert (follow_on.first_day, follow_on.part) == (report.first_day, 2)
    assert str(follow_on).endswith("(part 2)")


def test_the_report_holds_the_teams_figures_as_submitted(cast, at_gate_4):
    request, report = at_gate_4
    request.conversation.refresh_from_db()
    content = reporting.compile_content(report)
    kpis = {k["label"]: k for k in content["kpis"]}
    in_period = Conversation.objects.filter(
        team=cast.team,
        created_at__gte=reporting.period_of(report).start,
        created_at__lt=reporting.period_of(report).end,
    )
    assert kpis["Conversations"]["value"] == in_period.count()
    evaluated = request.records.get(step__key="evaluate").data["choice"]
    assert {h["rating"]: h["count"] for h in content["handling"]}[evaluated] == 1
    assert content["requests"]["open"] == 1
    reporting.submit(report, by=cast.lead, summary="Quiet month.")
    report.refresh_from_db()
    assert report.content["compiled_at"] and reporting.content_of(report) == report.content
    names = [t.key for t in reporting.tables(report.content)]
    assert names == ["kpis", "handling", "criteria", "disputes", "causes", "actions"]


def test_the_page_pdf_and_csv_are_for_the_teams_in_scope(cast, at_gate_4):
    _, report = at_gate_4
    lead = client_as(cast.lead)
    page = lead.get(f"/management-reports/{report.code}/")
    assert page.status_code == 200 and b"Submit to management" in page.content
    pdf = lead.get(f"/management-reports/{report.code}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    csv = b"".join(lead.get(f"/management-reports/{report.code}/csv/handling/").streaming_content)
    assert csv.decode().splitlines()[0] == "Rating,Requests"
    assert lead.get(f"/management-reports/{report.code}/csv/nothing/").status_code == 404
    other_lead = make_user("lead.b", Role.LEAD, cast.other_team, lead=True)
    assert client_as(other_lead).get(f"/management-reports/{report.code}/").status_code == 404
    # The lead submits on the page; a manager decides there.
    response = lead.post(f"/management-reports/{report.code}/",
                         {"action": "submit", "summary": "Refunds fixed."})  # fmt: skip
    assert response.status_code == 302
    page = client_as(cast.lead).post(
        f"/management-reports/{report.code}/", {"action": "approve", "comment": ""}
    )
    assert page.status_code == 400 and b"Only a manager decides" in page.content
    client_as(cast.manager).post(f"/management-reports/{report.code}/",
                                 {"action": "approve", "comment": "Good."})  # fmt: skip
    report.refresh_from_db()
    assert (report.state, report.decided_by) == (ManagementReport.State.APPROVED, cast.manager)


def test_a_new_report_is_opened_for_a_team_and_month(cast):
    lead = client_as(cast.lead)
    response = lead.post("/management-reports/", {"team": cast.team.code, "month": "2026-02"})
    report = ManagementReport.objects.get()
    assert response["Location"] == f"/management-reports/{report.code}/"
    assert (report.first_day, report.last_day) == (date(2026, 2, 1), date(2026, 2, 28))
    again = lead.post("/management-reports/", {"team": cast.team.code, "month": "2026-02"})
    assert again["Location"] == response["Location"]  # the same report, not a second one
    wrong = lead.post("/management-reports/", {"team": cast.team.code, "month": "Feb"})
    assert wrong.status_code == 400 and b"Choose the month" in wrong.content
    assert lead.post("/management-reports/", {"team": cast.other_team.code, "month": "2026-02"}
                     ).status_code == 400  # fmt: skip


def test_report_run_mails_each_subscriber_the_pdf_once(cast, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    make_conversation(cast.agent, cast.team, "jan", created=datetime(2026, 1, 12, 9, tzinfo=UTC))
    cast.manager.email = "manager@example.org"
    cast.manager.save()
    client_as(cast.manager).post(
        "/management-reports/", {"action": "subscribe", "team": cast.team.code, "on": "1"}
    )
    assert ReportSubscription.objects.filter(user=cast.manager, team=cast.team).exists()
    out = StringIO()
    call_command("report", "run", "--today", "2026-02-03", stdout=out)
    report = ManagementReport.objects.get()
    assert (report.first_day, report.last_day) == (date(2026, 1, 1), date(2026, 1, 31))
    assert "queued for 1 subscriber(s)" in out.getvalue()
    kpis = {k["label"]: k["value"] for k in report.content["kpis"]}
    assert kpis["Conversations"] == 1
    assert send_queued("test") == 1
    sent = mail.outbox[0]
    assert sent.to == ["manager@example.org"] and report.code in sent.body
    name, body, kind = sent.attachments[0]
    assert name.endswith(".pdf") and kind == "application/pdf" and body.startswith(b"%PDF-")
    out = StringIO()
    call_command("report", "run", "--today", "2026-02-20", stdout=out)
    assert "already mailed" in out.getvalue() and Mail.objects.count() == 1


def _conversations(cast, start: datetime, first_contact: int, total: int, tag: str) -> None:
    """`total` resolved conversations of the agent's team, `first_contact` of them never
    reopened, created a day apart from `start`."""
    for i in range(total):
        c = make_conversation(cast.agent, cast.team, f"{tag}-{i}",
                              created=start + timedelta(hours=12 * i))  # fmt: skip
        Conversation.objects.filter(pk=c.pk).update(
            resolution_seconds=3600, reopen_count=0 if i < first_contact else 1
        )


def test_a_done_action_measures_its_metric_before_and_after_with_an_interval(cast):
    decided = datetime(2026, 3, 1, tzinfo=UTC)
    _conversations(cast, decided - timedelta(days=24), 20, 40, "before")
    _conversations(cast, decided + timedelta(days=3), 35, 40, "after")
    action = ImprovementAction.objects.create(
        team=cast.team, area="Knowledge base updates", description="Refund article",
        owner=cast.lead, due=date(2026, 3, 20), metric="fcr", created_at=decided,
    )  # fmt: skip
    assert improvements.effect(action) is None  # not done yet
    with pytest.raises(improvements.ActionError, match="say what was done"):
        improvements.set_status(action, "done", by=cast.lead)
    improvements.set_status(action, "done", by=cast.lead, note="Article published.")
    ImprovementAction.objects.filter(pk=action.pk).update(done_at=decided + timedelta(days=2))
    action.refresh_from_db()
    measured = improvements.effect(action, now=decided + timedelta(days=60))
    expected = difference_of_shares(35, 40, 20, 40).scaled(100)
    assert (measured.before.n, measured.after.n) == (40, 40)
    assert measured.change.difference.value == pytest.approx(expected.value)
    assert measured.change.difference.low == pytest.approx(expected.low)
    assert measured.change.label == "improved" and measured.complete
    early = improvements.effect(action, now=decided + timedelta(days=10))
    assert not early.complete
    page = client_as(cast.lead).get(f"/improvements/{action.code}/")
    assert b"improved" in page.content and b"Newcombe" in page.content


def test_an_action_without_a_detectable_change_says_so(cast):
    decided = datetime(2026, 3, 1, tzinfo=UTC)
    _conversations(cast, decided - timedelta(days=20), 15, 20, "before")
    _conversations(cast, decided + timedelta(days=3), 16, 20, "after")
    action = ImprovementAction.objects.create(
        team=cast.team, area="Training needs", description="Coaching", owner=cast.lead,
        due=date(2026, 3, 20), metric="fcr", created_at=decided,
        status=ImprovementAction.Status.DONE, done_at=decided + timedelta(days=2),
    )  # fmt: skip
    measured = improvements.effect(action, now=decided + timedelta(days=60))
    assert measured.change.label == "no detectable change"
    assert measured.change.difference.low < 0 < measured.change.difference.high


def test_only_the_owner_or_a_manager_updates_an_action(cast):
    action = ImprovementAction.objects.create(
        team=cast.team, area="Training needs", description="Coaching", owner=cast.qa,
        due=date(2026, 3, 20), metric="csat", created_at=datetime(2026, 3, 1, tzinfo=UTC),
    )  # fmt: skip
    url = f"/improvements/{action.code}/"
    assert client_as(cast.lead).post(url, {"status": "in_progress"}).status_code == 404
    assert client_as(cast.qa).post(url, {"status": "in_progress"}).status_code == 302
    action.refresh_from_db()
    assert action.status == "in_progress"
    page = client_as(cast.manager).post(url, {"status": "done", "note": ""})
    assert page.status_code == 400 and b"say what was done" in page.content.lower()


def test_step_twenty_on_the_request_page_makes_the_actions(cast, at_gate_4):
    request, report = at_gate_4
    reporting.submit(report, by=cast.lead, summary="ok")
    reporting.decide(report, by=cast.manager, approve=True, comment="")
    manager = client_as(cast.manager)
    url = f"/requests/{request.code}/"
    manager.post(url, {"step": "improvements", "choice": ["Response time"]})
    page = manager.get(url)
    assert b"Action: Response time" in page.content
    form = {"step": "implement", "action-1-description": "Two more agents at noon",
            "action-1-owner": str(cast.lead.pk), "action-1-due": "2020-01-01",
            "action-1-metric": "first_reply_on_time"}  # fmt: skip
    refused = manager.post(url, form)
    assert refused.status_code == 400 and b"has passed" in refused.content
    assert b"Two more agents at noon" in refused.content  # what was typed is kept
    due = (date.today() + timedelta(days=14)).isoformat()
    assert manager.post(url, {**form, "action-1-due": due}).status_code == 302
    action = ImprovementAction.objects.get()
    assert (action.request, action.metric, action.owner) == (
        request,
        "first_reply_on_time",
        cast.lead,
    )
    request.refresh_from_db()
    assert active_record(request) is None and request.state == "closed"
    with pytest.raises(WorkflowError, match="closed"):
        from supportqa.workflow.engine import complete

        complete(request, "implement", by=cast.manager)


def test_hostile_values_do_not_break_the_report(cast, at_gate_4):
    """A very long action still renders in the PDF; an absurd month is refused; a request
    never joins a report already submitted (its kept figures would not hold it)."""
    request, report = at_gate_4
    ImprovementAction.objects.create(
        team=cast.team, area="Training needs", description="Ünïcode ✓ " + "x" * 1990,
        owner=cast.lead, due=date(2026, 3, 20), metric="csat", created_at=report.created_at,
    )  # fmt: skip
    assert (
        client_as(cast.lead)
        .get(f"/management-reports/{report.code}/pdf/")
        .content.startswith(b"%PDF-")
    )
    bad = client_as(cast.lead).post("/management-reports/",
                                    {"team": cast.team.code, "month": "9999-12"})  # fmt: skip
    assert bad.status_code == 400 and ManagementReport.objects.count() == 1
    reporting.submit(report, by=cast.lead, summary="Submitted before the second request.")
    later = start(cast.teammate_conversation, by=cast.lead)
    walk_to(later, "gate-4", cast)
    joined = later.records.get(step__key="report").data["report"]
    assert joined != report.code
    assert ManagementReport.objects.get(code=joined).part == 2


def test_report_run_leaves_out_subscribers_who_no_longer_see_the_team(cast, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    moved = make_user("lead.moved", Role.LEAD, cast.other_team, lead=True)
    moved.email = "moved@example.org"
    moved.save()
    ReportSubscription.objects.create(user=moved, team=cast.team)  # subscribed before a move
    out = StringIO()
    call_command("report", "run", "--team", cast.team.name, "--today", "2026-02-03", stdout=out)
    assert "queued for 0 subscriber(s)" in out.getvalue() and not Mail.objects.exists()


def test_a_done_action_stays_done(cast):
    action = ImprovementAction.objects.create(
        team=cast.team, area="Training needs", description="Coaching", owner=cast.qa,
        due=date(2026, 3, 20), metric="csat", created_at=datetime(2026, 3, 1, tzinfo=UTC),
        status=ImprovementAction.Status.DONE, done_at=datetime(2026, 3, 5, tzinfo=UTC),
    )  # fmt: skip
    with pytest.raises(improvements.ActionError, match="the action is done"):
        improvements.set_status(action, "in_progress", by=cast.qa)
    action.refresh_from_db()
    assert action.done_at == datetime(2026, 3, 5, tzinfo=UTC)


def test_owners_see_the_team_and_the_submitter_does_not_decide(cast, at_gate_4):
    request, report = at_gate_4
    other_lead = make_user("lead.b", Role.LEAD, cast.other_team, lead=True)
    assert set(improvements.owners_for(cast.team)) == {cast.admin, cast.manager, cast.qa,
                                                        cast.lead}  # fmt: skip
    reporting.submit(report, by=cast.manager, summary="Submitted by a manager.")
    with pytest.raises(reporting.ReportError, match="you submitted this report"):
        reporting.decide(report, by=cast.manager, approve=True, comment="")
    reporting.decide(report, by=cast.admin, approve=True, comment="Second pair of eyes.")
    from supportqa.workflow.engine import complete

    complete(request, "improvements", by=cast.manager, choice="Training needs")
    form = {"action-1-description": "Refund training", "action-1-owner": str(other_lead.pk),
            "action-1-due": (date.today() + timedelta(days=9)).isoformat(),
            "action-1-metric": "csat"}  # fmt: skip
    with pytest.raises(WorkflowError, match="Training needs: choose its owner"):
        complete(request, "implement", by=cast.manager, data=form)


def test_the_csv_gives_numbers_as_numbers(cast, at_gate_4):
    _, report = at_gate_4
    lead = client_as(cast.lead)
    lines = (
        b"".join(lead.get(f"/management-reports/{report.code}/csv/kpis/").streaming_content)
        .decode()
        .splitlines()
    )
    assert lines[0] == "KPI,Unit,Value,95% low,95% high,n"
    assert "'" not in "".join(lines)  # no cell mistaken for a formula
