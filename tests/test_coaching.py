"""Coaching (issue #14): scheduling outside shifts with an invitation, the record in the
guidelines' order with SMART goals checked, sign-off by both, goals tracked from the data."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from supportqa.accounts.models import Shift
from supportqa.coaching import actions
from supportqa.coaching.actions import AreaInput, CoachingError, GoalInput
from supportqa.coaching.models import Goal, Session
from supportqa.notifications.models import Kind, Mail, Notification
from tests.conftest import make_conversation, submitted_review


def soon(hours: int = 48):
    return (timezone.now() + timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)


def in_days(days: int) -> date:
    return timezone.localdate() + timedelta(days=days)


def planned(cast, **more) -> Session:
    today = timezone.localdate()
    return actions.schedule(
        agent=cast.agent, coach=cast.lead, starts_at=more.pop("starts_at", soon()), minutes=30,
        format="video", period_first=today - timedelta(days=30), period_last=today, **more,
    )  # fmt: skip


def test_a_session_is_planned_outside_the_agents_shifts_with_an_invitation(cast):
    cast.agent.email = "agent@example.org"
    cast.agent.save()
    start = soon()
    Shift.objects.create(agent=cast.agent, starts_at=start - timedelta(hours=1),
                         ends_at=start + timedelta(hours=7))  # fmt: skip
    with pytest.raises(
        CoachingError, match="it falls in Agent's shift .*: coaching is planned outside shifts"
    ):
        planned(cast, starts_at=start)
    with pytest.raises(CoachingError, match="you do not coach this agent"):
        actions.schedule(
            agent=cast.other_agent, coach=cast.lead, starts_at=soon(100), minutes=30,
            format="video", period_first=date(2026, 1, 1), period_last=date(2026, 1, 31),
        )  # fmt: skip
    session = planned(cast, starts_at=start + timedelta(hours=8))
    told = Notification.objects.get(user=cast.agent, kind=Kind.COACHING_SESSION)
    assert told.link == f"/coaching/{session.code}/"
    mail = Mail.objects.get(user=cast.agent)
    ics = bytes(mail.attachment).decode()
    assert mail.attachment_name.endswith(".ics") and "METHOD:REQUEST" in ics
    assert f"UID:coaching-{session.code}@" in ics and "SEQUENCE:0" in ics
    with pytest.raises(CoachingError, match="Agent has another coaching session"):
        planned(cast, starts_at=start + timedelta(hours=8, minutes=15))
    moved = actions.reschedule(session, by=cast.lead, starts_at=start + timedelta(hours=26),
                               minutes=45)  # fmt: skip
    assert moved.sequence == 1
    cancelled = actions.cancel(moved, by=cast.lead, reason="Agent on leave")
    from supportqa.coaching.invites import invitation

    ics = invitation(cancelled).decode()
    assert "METHOD:CANCEL" in ics and "SEQUENCE:2" in ics and "STATUS:CANCELLED" in ics


def reviewed(cast, agent, scores: int, position: int, tag: str):
    """`scores` reviews of the agent's conversations from the last days, every criterion at
    option `position` (0 Exceeds, 1 Meets, 2 Below)."""
    for i in range(scores):
        c = make_conversation(agent, cast.team, f"{tag}-{i}",
                              created=timezone.now() - timedelta(days=3, hours=i))  # fmt: skip
        submitted_review(c, cast.qa, position=position)


def test_the_record_keeps_only_smart_goals_and_both_sign_it(cast):
    reviewed(cast, cast.agent, 6, 1, "a")  # Meets on everything: IQS 80
    reviewed(cast, cast.teammate, 6, 0, "t")  # the peer: Exceeds, IQS 100
    session = planned(cast)
    example = cast.agent.conversations.first().code
    area = AreaInput("iqs", "Name the customer's problem before solving it.", [example])
    with pytest.raises(
        CoachingError, match=r"goal 1 is not SMART: A — not an improvement.*; R — tie"
    ):
        actions.save_record(session, by=cast.lead, positives="Friendly and quick.", areas=[],
                            support=[], support_note="",
                            goals=[GoalInput("iqs", 70, in_days(30))])  # fmt: skip
    with pytest.raises(CoachingError, match="T — due .*: give at least a week"):
        actions.save_record(session, by=cast.lead, positives="Friendly.", areas=[area],
                            support=[], support_note="",
                            goals=[GoalInput("iqs", 90, in_days(2))])  # fmt: skip
    with pytest.raises(CoachingError, match="is not a conversation of Agent"):
        actions.save_record(session, by=cast.lead, positives="x", support=[], support_note="",
                            areas=[AreaInput("iqs", "x", [cast.other_conversation.code])],
                            goals=[])  # fmt: skip
    due = timezone.localdate() + timedelta(days=30)
    actions.save_record(session, by=cast.lead, positives="Friendly and quick.", areas=[area],
                        support=["Training"], support_note="Refund module",
                        goals=[GoalInput("iqs", 90, due)])  # fmt: skip
    session.refresh_from_db()
    goal = Goal.objects.get()
    # Written before the session: the coach's notes; the session is still to come.
    assert session.state == Session.State.SCHEDULED and goal.baseline["value"] == pytest.approx(80)
    with pytest.raises(CoachingError, match="only the agent writes"):
        actions.reflect(session, by=cast.lead, text="x")
    actions.reflect(session, by=cast.agent, text="I rush the first reply.")
    with pytest.raises(CoachingError, match="the record is signed after the session"):
        actions.sign(session, by=cast.lead)
    Session.objects.filter(pk=session.pk).update(starts_at=timezone.now() - timedelta(hours=1))
    session.refresh_from_db()  # the session took place
    with pytest.raises(CoachingError, match="only the agent and their coach"):
        actions.sign(session, by=cast.teammate)
    actions.sign(session, by=cast.lead)
    signed = actions.sign(session, by=cast.agent)
    assert signed.state == Session.State.SIGNED and signed.self_reflection.startswith("I rush")


def test_goal_progress_is_read_from_the_data_and_recognised_once(cast):
    session = planned(cast)
    goal = Goal.objects.create(session=session, agent=cast.agent, metric="iqs", target=90,
                               baseline={"value": 70}, set_on=timezone.localdate() - timedelta(10),
                               due=timezone.localdate() + timedelta(10))  # fmt: skip
    assert actions.track(goal).progress.status == "not enough data"
    reviewed(cast, cast.agent, 6, 0, "g")  # Exceeds everywhere since the goal was set
    tracked = actions.track(goal)
    assert tracked.progress.status == "met" and tracked.progress.current.value == pytest.approx(100)
    assert Notification.objects.filter(kind=Kind.COACHING_GOAL).count() == 2  # agent and coach
    actions.track(goal)
    assert Notification.objects.filter(kind=Kind.COACHING_GOAL).count() == 2  # once


def test_pages_keep_to_the_coach_and_the_agent(cast):
    session = planned(cast)
    url = f"/coaching/{session.code}/"
    assert cast.client(cast.lead).get(url).status_code == 200
    assert cast.client(cast.agent).get(url).status_code == 200
    assert cast.client(cast.teammate).get(url).status_code == 404
    assert cast.client(cast.other_agent).get(url).status_code == 404
    assert cast.client(cast.qa).get(url).status_code == 404
    packet = cast.client(cast.lead).get(f"/coaching/agents/{cast.agent.code}/packet/")
    assert packet.status_code == 200 and b"Rubric grades and patterns" in packet.content
    assert (
        cast.client(cast.lead).get(f"/coaching/agents/{cast.other_agent.code}/packet/").status_code
        == 404
    )
    ics = cast.client(cast.agent).get(f"{url}invite.ics")
    assert ics["Content-Type"].startswith("text/calendar") and b"BEGIN:VEVENT" in ics.content
    page = cast.client(cast.lead).post(url, {"action": "record", "positives": "Kind.",
                                             "goal-1-metric": "iqs", "goal-1-target": "150",
                                             "goal-1-due": "2020-01-01"})  # fmt: skip
    assert page.status_code == 400
    text = page.content.decode()
    assert "the target 150 is outside" in text and "M</strong> ✗" in text


def test_the_effect_of_a_session_is_measured_against_uncoached_teammates(cast):
    from supportqa.accounts.models import Role
    from supportqa.coaching import measure
    from supportqa.coaching.models import Area
    from supportqa.reviews.models import Review
    from tests.conftest import make_user

    held = timezone.now() - timedelta(days=40)
    peers = [cast.teammate] + [make_user(f"peer{i}", Role.AGENT, cast.team) for i in range(3)]

    def scored(agent, position, days, tag):
        for i in range(4):
            c = make_conversation(
                agent, cast.team, f"{tag}-{i}", created=held + timedelta(days=days)
            )
            review = submitted_review(c, cast.qa, position=position)
            Review.objects.filter(pk=review.pk).update(
                submitted_at=held + timedelta(days=days, hours=i)
            )

    scored(cast.agent, 1, -10, "a-before")  # Meets: 80
    scored(cast.agent, 0, 10, "a-after")  # Exceeds: 100
    for n, peer in enumerate(peers):  # the others: Meets before, Meets or Exceeds after
        scored(peer, 1, -10, f"p{n}-before")
        scored(peer, 0 if n == 0 else 1, 10, f"p{n}-after")
    session = Session.objects.create(agent=cast.agent, coach=cast.lead, starts_at=held,
                                     period_first=held.date(), period_last=held.date(),
                                     state=Session.State.SIGNED)  # fmt: skip
    Area.objects.create(session=session, metric="iqs", note="Own the problem.")
    (found,) = measure.session_effects(session)
    assert found.effect.treated_change == pytest.approx(20)
    assert found.effect.comparison_change == pytest.approx(5)  # (20 + 0 + 0 + 0) / 4
    assert found.effect.estimate.value == pytest.approx(15) and found.effect.comparisons == 4
    assert found.complete
    page = cast.client(cast.lead).get(f"/coaching/{session.code}/")
    assert b"Did the coaching work?" in page.content
    by_metric, by_coach = measure.pooled_effects(Session.objects.all())
    assert by_metric[0].estimate.value == pytest.approx(15)
    assert by_coach[0].name == "Lead: IQS (internal quality score)"
    assert b"Effect by coach" in cast.client(cast.lead).get("/coaching/").content


def test_agents_rate_signed_sessions_and_coaches_see_only_averages_of_five(cast):
    def signed_session(days: int) -> Session:
        return Session.objects.create(
            agent=cast.agent, coach=cast.lead, starts_at=timezone.now() - timedelta(days=days),
            period_first=in_days(-60), period_last=in_days(-30), state=Session.State.SIGNED,
        )  # fmt: skip

    first = signed_session(10)
    scores = {"useful": 4, "specific": 5, "fair": 3}
    with pytest.raises(CoachingError, match="only the agent rates"):
        actions.rate(first, by=cast.lead, scores=scores, comment="")
    with pytest.raises(CoachingError, match="from 1 to 5"):
        actions.rate(first, by=cast.agent, scores={**scores, "fair": 9}, comment="")
    actions.rate(first, by=cast.agent, scores=scores, comment="Clear examples.")
    with pytest.raises(CoachingError, match="rated this session already"):
        actions.rate(first, by=cast.agent, scores=scores, comment="")
    (mine,) = actions.coach_feedback(cast.lead)
    assert (mine.answers, mine.shown, mine.means) == (0, False, {})  # one answer: not even counted
    (managed,) = actions.coach_feedback(cast.manager)
    assert managed.shown and managed.means["specific"].value == 5
    for days in range(11, 15):
        actions.rate(signed_session(days), by=cast.agent, scores=scores, comment="")
    (mine,) = actions.coach_feedback(cast.lead)
    assert mine.answers == 5 and mine.shown and mine.means["useful"].value == 4
    page = cast.client(cast.lead).get(f"/coaching/{first.code}/")
    assert b"Clear examples." not in page.content  # the coach never sees one agent's answer
    home = cast.client(cast.lead).get("/coaching/")
    assert b"Feedback on the coaching" in home.content and b"Over time" not in home.content
    ((month, answers, means),) = actions.feedback_by_month(cast.manager)
    assert answers == 5 and means["fair"] == 3 and month == timezone.localdate().replace(day=1)
    assert b"Over time (all coaches)" in cast.client(cast.manager).get("/coaching/").content


def test_a_written_session_sends_its_report_to_the_agent_when_the_coach_signs(cast):
    reviewed(cast, cast.agent, 6, 1, "w")
    reviewed(cast, cast.teammate, 6, 0, "v")
    cast.agent.email = "agent@example.org"
    cast.agent.save()
    today = timezone.localdate()
    session = actions.schedule(agent=cast.agent, coach=cast.lead, starts_at=soon(), minutes=30,
                               format="written", period_first=today - timedelta(days=30),
                               period_last=today)  # fmt: skip
    area = AreaInput("iqs", "Name the customer's problem first — then solve it.", [])
    goal = GoalInput("iqs", 90, in_days(30))
    actions.save_record(session, by=cast.lead, positives="Calm under pressure.", areas=[area],
                        support=[], support_note="", goals=[goal])  # fmt: skip
    Session.objects.filter(pk=session.pk).update(starts_at=timezone.now() - timedelta(hours=1))
    actions.sign(session, by=cast.lead)
    mail = Mail.objects.filter(user=cast.agent, attachment_name__endswith=".pdf").get()
    assert bytes(mail.attachment).startswith(b"%PDF-")
    download = cast.client(cast.agent).get(f"/coaching/{session.code}/report.pdf")
    assert download["Content-Type"] == "application/pdf" and download.content.startswith(b"%PDF-")


def test_reminders_go_once_before_sessions_and_due_dates(cast):
    from io import StringIO

    from django.core.management import call_command

    session = planned(cast, starts_at=soon(hours=20))
    Goal.objects.create(session=session, agent=cast.agent, metric="iqs", target=95,
                        baseline={"value": 70}, set_on=in_days(-20), due=in_days(2))  # fmt: skip
    before = Notification.objects.filter(kind=Kind.COACHING_SESSION).count()
    out = StringIO()
    call_command("coaching", "remind", stdout=out)
    assert "1 session reminder(s), 1 goal(s) due soon, 0 goal(s) met" in out.getvalue()
    told = Notification.objects.filter(kind=Kind.COACHING_SESSION)[:10]
    assert Notification.objects.filter(kind=Kind.COACHING_SESSION).count() == before + 4
    assert any("Goal due" in n.text for n in told)
    call_command("coaching", "remind", stdout=StringIO())
    assert Notification.objects.filter(kind=Kind.COACHING_SESSION).count() == before + 4  # once


def test_the_library_shares_an_example_only_with_consent_and_anonymised(cast):
    from supportqa.coaching import library
    from supportqa.conversations.models import Customer

    conversation = cast.conversation
    conversation.customer = Customer.objects.create(source="test", external_id="c9",
                                                    name="Ann Lee")  # fmt: skip
    conversation.save()
    conversation.messages.filter(seq=0).update(
        text="Hi, I'm Ann Lee, call me on +44 20 7946 0958 or ann@example.org"
    )
    conversation.messages.filter(seq=1).update(text="Hello Ann, Agent here: I will call you.")
    with pytest.raises(CoachingError, match="review the conversation first"):
        library.nominate(by=cast.lead, conversation_code=conversation.code, criteria=["tone"],
                         note="x")  # fmt: skip
    submitted_review(cast.other_conversation, cast.lead, position=2)  # Below everywhere: 0%
    with pytest.raises(CoachingError, match="its best review scored 0%, under the pass mark"):
        library.nominate(by=cast.qa, conversation_code=cast.other_conversation.code,
                         criteria=["tone"], note="x")  # fmt: skip
    submitted_review(conversation, cast.qa, position=0)  # Exceeds everywhere
    submitted_review(cast.other_conversation, cast.qa, position=0)
    with pytest.raises(CoachingError, match="of an agent you coach or review"):
        library.nominate(by=cast.lead, conversation_code=cast.other_conversation.code,
                         criteria=["tone"], note="x")  # fmt: skip
    with pytest.raises(CoachingError, match="coaches and QA reviewers nominate"):
        library.nominate(by=cast.teammate, conversation_code=conversation.code,
                         criteria=["tone"], note="x")  # fmt: skip
    by_qa = library.nominate(by=cast.qa, conversation_code=cast.other_conversation.code,
                             criteria=["tone"], note="QA contributes an example")  # fmt: skip
    assert by_qa.agent == cast.other_agent and by_qa.nominated_by == cast.qa
    item = library.nominate(by=cast.lead, conversation_code=conversation.code,
                            criteria=["tone"], note="Calm and kind with Ann")  # fmt: skip
    asked = cast.client(cast.agent).get(f"/coaching/library/{item.code}/").content.decode()
    assert "What your colleagues would read" in asked and "[NAME]" in asked  # a preview
    assert "May your colleagues learn" in cast.client(cast.agent).get("/").content.decode()
    assert not library.shared_for(cast.teammate).filter(pk=item.pk).exists()  # not yet
    with pytest.raises(CoachingError, match="only the agent of the conversation"):
        library.answer(item, by=cast.lead, consent=True)
    page = cast.client(cast.agent).post(f"/coaching/library/{item.code}/", {"consent": "yes"})
    assert page.status_code == 302
    item.refresh_from_db()
    text = " ".join(line["text"] for line in item.transcript)
    assert "Ann" not in text and "Lee" not in text and "Agent" not in text
    assert "example.org" not in text and "7946" not in text and "[NAME]" in text
    found = library.shared_for(cast.teammate, query="call", criterion="tone")
    assert list(found) == [item]
    shown = cast.client(cast.teammate).get(f"/coaching/library/{item.code}/").content.decode()
    assert "I will call you" in shown and "Ann" not in shown
    assert item.note == "Calm and kind with [NAME]"  # the public title has no name either
    with pytest.raises(CoachingError, match="already answered"):
        library.answer(item, by=cast.agent, consent=False)
    cast.client(cast.agent).post(f"/coaching/library/{item.code}/", {"consent": "withdraw"})
    item.refresh_from_db()
    assert item.consent == "refused" and item.transcript == []
    assert not library.shared_for(cast.teammate).filter(pk=item.pk).exists()


def test_shifts_import_names_each_bad_row_and_writes_all_or_nothing(cast, tmp_path):
    from io import StringIO

    from django.core.management import CommandError, call_command

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "username,starts_at,ends_at\n"
        "agent,2026-12-03T09:00,2026-12-03T17:00\n"
        "nobody,2026-12-03T09:00,2026-12-03T17:00\n"
        "agent,2026-12-04T17:00,2026-12-04T09:00\n"
        "teammate,yesterday,2026-12-04T09:00\n"
        "agent,2026-12-03T09:00,2026-12-03T18:00\n"
    )
    errors = StringIO()
    with pytest.raises(CommandError, match="4 problem"):
        call_command("shifts", str(bad), stderr=errors)
    assert errors.getvalue().splitlines() == [
        "line 3: username: no active agent 'nobody'",
        "line 4: ends_at: the shift ends before it starts",
        "line 5: starts_at: not a date and time like 2026-12-03T09:00 (ISO 8601)",
        "line 6: starts_at: the same agent and start (first on line 2)",
    ]
    assert not Shift.objects.exists()
    good = tmp_path / "good.csv"
    good.write_text("username,starts_at,ends_at\nagent,2026-12-03T09:00,2026-12-03T17:00\n"
                    "teammate,2026-12-03T12:00+01:00,2026-12-03T20:00+01:00\n")  # fmt: skip
    out = StringIO()
    call_command("shifts", str(good), stdout=out)
    call_command("shifts", str(good), stdout=StringIO())  # again: nothing changes
    assert "2 shift(s) imported" in out.getvalue() and Shift.objects.count() == 2


def test_the_agents_home_page_leads_to_their_self_reflection(cast):
    session = planned(cast)
    home = cast.client(cast.agent).get("/").content.decode()
    assert f"/coaching/{session.code}/" in home and "write your self-reflection before it" in home
    actions.reflect(session, by=cast.agent, text="I rush.")
    assert "your reflection is written" in cast.client(cast.agent).get("/").content.decode()


def test_a_video_call_link_goes_into_the_invitation_and_bad_periods_are_said(cast):
    from supportqa.coaching.invites import invitation

    with pytest.raises(CoachingError, match="the meeting link is a web address"):
        planned(cast, meeting_link="javascript:alert(1)")
    session = planned(cast, meeting_link="https://meet.example.org/coach-ava")
    ics = invitation(session).decode()
    assert "LOCATION:https://meet.example.org/coach-ava" in ics
    page = cast.client(cast.lead).get(
        f"/coaching/agents/{cast.agent.code}/packet/?from=2026-05-01&to=2026-01-01", follow=True
    )
    assert b"That period could not be used" in page.content
