"""Notifications: who is told of what, the inbox and the bell, e-mail at once or in a daily
digest, and the outbox's sending (retries, several workers)."""

from __future__ import annotations

import io
import smtplib
from datetime import timedelta

import pytest
from django.core import mail as outbox
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from supportqa.notifications import mail as sending
from supportqa.notifications.actions import build_digests, muted, notify
from supportqa.notifications.models import Delivery, Kind, Mail, Notification, Preference
from supportqa.reviews.actions import (
    RatingInput,
    acknowledge_review,
    decide_dispute,
    edit_review,
    raise_dispute,
)
from tests.conftest import full_ratings, make_conversation, queue_for, submitted_review


def kinds_of(user) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("kind", flat=True))


def dispute_one(review, agent):
    code = next(iter(review.ratings.select_related("criterion"))).criterion.code
    return raise_dispute(
        review=review, by=agent, proposals={code: RatingInput(0)}, reason="It was fine"
    )


# --- who is told of what ----------------------------------------------------------------------


def test_the_agent_is_told_of_a_review_and_nobody_else(cast):
    review = submitted_review(cast.conversation, cast.qa, position=1)
    note = Notification.objects.get()
    assert (note.user, note.kind, note.actor) == (cast.agent, Kind.REVIEW_RECEIVED, cast.qa)
    assert note.link == reverse("review-detail", args=[review.code])
    assert f"conversation “{cast.conversation.subject}”" in note.text  # as its pages name it
    assert f"{review.final_score:.1f}%" in note.text  # as the review page shows it


def test_drafts_self_reviews_and_calibration_tell_nobody(cast):
    from supportqa.reviews.actions import save_review
    from supportqa.reviews.models import Source
    from tests.conftest import chat_rubric

    version = chat_rubric()
    save_review(
        conversation=cast.conversation,
        reviewer=cast.qa,
        source=Source.QA,
        version=version,
        ratings=full_ratings(version),
    )
    save_review(
        conversation=cast.conversation,
        reviewer=cast.agent,
        source=Source.SELF,
        version=version,
        ratings=full_ratings(version),
        submit=True,
    )
    assert not Notification.objects.exists()


def test_a_dispute_tells_the_reviewer_and_the_agents_lead_and_the_decision_tells_the_agent(
    cast,
):
    review = submitted_review(cast.conversation, cast.qa, position=1)
    dispute = dispute_one(review, cast.agent)
    assert kinds_of(cast.qa) == [Kind.DISPUTE_RAISED]
    assert kinds_of(cast.lead) == [Kind.DISPUTE_RAISED]
    assert kinds_of(cast.manager) == []  # the team has a lead
    decide_dispute(dispute=dispute, by=cast.lead, accepted=set(), reason="The rating stands")
    told = Notification.objects.filter(kind=Kind.DISPUTE_DECIDED)
    assert {n.user for n in told} == {cast.agent, cast.qa}
    assert "rejected" in told.first().text


def test_a_team_without_a_lead_sends_disputes_to_the_managers(cast):
    review = submitted_review(cast.other_conversation, cast.qa, position=1)
    dispute_one(review, cast.other_agent)
    assert kinds_of(cast.manager) == [Kind.DISPUTE_RAISED]
    assert kinds_of(cast.lead) == []  # leads another team: not in scope


def test_an_edit_tells_the_agent_and_the_reviewer_but_not_the_editor(cast):
    review = submitted_review(cast.conversation, cast.qa, position=1)
    edit_review(
        review=review,
        by=cast.lead,
        ratings=full_ratings(review.scorecard_version, 0),
        overall_comment="",
        reason="Second look",
    )
    edited = Notification.objects.filter(kind=Kind.REVIEW_EDITED)
    assert {n.user for n in edited} == {cast.agent, cast.qa}
    assert "→" in edited.first().text


def test_acknowledging_is_recorded_once_and_tells_the_reviewer(cast):
    review = submitted_review(cast.conversation, cast.qa, position=1)
    client = cast.client(cast.agent)
    url = reverse("review-acknowledge", args=[review.code])
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302  # a double click files nothing twice
    review.refresh_from_db()
    assert review.acknowledged_at is not None
    assert kinds_of(cast.qa) == [Kind.REVIEW_ACKNOWLEDGED]
    page = cast.client(cast.qa).get(reverse("review-detail", args=[review.code]))
    assert "Acknowledged by" in page.content.decode()


def test_only_the_reviewed_agent_acknowledges(cast):
    from supportqa.reviews.actions import ReviewInvalid

    review = submitted_review(cast.conversation, cast.qa, position=1)
    with pytest.raises(ReviewInvalid):
        acknowledge_review(review=review, by=cast.lead)
    response = cast.client(cast.lead).post(reverse("review-acknowledge", args=[review.code]))
    assert response.status_code == 404


def test_an_assignment_run_tells_each_reviewer_how_many(cast):
    queue_for(cast, cast.qa, conversations=3, quota=2)
    note = Notification.objects.get(user=cast.qa)
    assert note.kind == Kind.ASSIGNMENT_RECEIVED and note.text.startswith("2 conversations")
    assert note.link == reverse("queue")


def test_muted_tells_nobody_and_inactive_people_are_not_told(cast):
    with muted():
        submitted_review(cast.conversation, cast.qa)
    cast.teammate.is_active = False
    cast.teammate.save()
    notify(users=[cast.teammate], kind=Kind.REVIEW_RECEIVED, text="x", link="/")
    assert not Notification.objects.exists()


def test_a_failed_event_leaves_no_notification(cast):
    """The notification is written in the event's transaction: a refused dispute tells no one."""
    review = submitted_review(cast.conversation, cast.qa, position=1)
    Notification.objects.all().delete()
    from supportqa.reviews.actions import ReviewInvalid

    with pytest.raises(ReviewInvalid):
        raise_dispute(review=review, by=cast.agent, proposals={}, reason="No")
    assert not Notification.objects.exists()


# --- the inbox and the bell --------------------------------------------------------------------


def test_a_notification_stays_unread_until_it_is_opened(cast):
    """Looking at the inbox marks nothing read; opening one marks that one only."""
    first = notify(users=[cast.qa], kind=Kind.REVIEW_EDITED, text="First", link="/queue/")[0]
    second = notify(users=[cast.qa], kind=Kind.REVIEW_EDITED, text="Second", link="/")[0]
    client = cast.client(cast.qa)
    for _ in range(2):
        page = client.get(reverse("inbox"))
        assert page.status_code == 200 and page.context["bell"].unread == 2
    assert "Notifications, 2 unread" in page.content.decode()
    opened = client.get(reverse("notification-open", args=[first.code]))
    assert opened.status_code == 302 and opened["Location"] == "/queue/"
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None
    unread = client.get(reverse("inbox"), {"show": "unread"})
    assert [n.text for n in unread.context["page"]] == ["Second"]


def test_mark_all_read_is_a_post_and_touches_only_ones_own(cast):
    notify(users=[cast.qa, cast.lead], kind=Kind.REVIEW_EDITED, text="x", link="/")
    client = cast.client(cast.qa)
    assert client.get(reverse("notifications-read")).status_code == 405
    assert client.post(reverse("notifications-read")).status_code == 302
    assert not Notification.objects.filter(user=cast.qa, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=cast.lead, read_at__isnull=True).exists()


def test_someone_elses_notification_is_a_404(cast):
    note = notify(users=[cast.qa], kind=Kind.REVIEW_EDITED, text="x", link="/")[0]
    response = cast.client(cast.lead).get(reverse("notification-open", args=[note.code]))
    assert response.status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_a_link_elsewhere_is_never_followed(cast):
    note = Notification.objects.create(
        user=cast.qa,
        kind=Kind.REVIEW_EDITED,
        text="x",
        link="https://evil.example/",
        delivery="off",
    )
    response = cast.client(cast.qa).get(reverse("notification-open", args=[note.code]))
    assert response["Location"] == reverse("inbox")


def test_the_bell_caps_its_count(cast):
    for i in range(101):
        Notification.objects.create(
            user=cast.qa, kind=Kind.REVIEW_EDITED, text=str(i), delivery="off"
        )
    page = cast.client(cast.qa).get(reverse("inbox"))
    assert "99+" in page.content.decode()
    assert page.context["page"].paginator.num_pages == 3


# --- e-mail ------------------------------------------------------------------------------------


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("notify", *args, stdout=out)
    return out.getvalue()


def test_at_once_mails_are_sent_by_the_worker_with_a_link_that_opens_the_notification(cast):
    review = submitted_review(cast.conversation, cast.qa, position=1)
    dispute_one(review, cast.agent)  # dispute_raised: at once by default
    assert len(outbox.outbox) == 0  # queued, not sent inside the request
    assert run("send") == "2 mails handled\n"
    sent = {m.to[0]: m for m in outbox.outbox}
    assert set(sent) == {cast.qa.email, cast.lead.email}
    note = Notification.objects.get(user=cast.qa)
    assert reverse("notification-open", args=[note.code]) in sent[cast.qa.email].body
    assert cast.conversation.subject not in sent[cast.qa.email].body
    assert Mail.objects.filter(status=Mail.Status.SENT).count() == 2


def test_a_daily_digest_gathers_unread_news_once(cast):
    submitted_review(cast.conversation, cast.qa, position=1)  # review_received: digest
    submitted_review(make_conversation(cast.agent, cast.team, "d2"), cast.lead, position=1)
    read = submitted_review(make_conversation(cast.agent, cast.team, "d3"), cast.qa)
    Notification.objects.filter(link__contains=read.code).update(read_at=timezone.now())
    assert run("send") == "0 mails handled\n"
    assert outbox.outbox == []  # digest kinds wait for the digest
    assert run("digest").startswith("1 digests built")
    assert run("digest").startswith("0 digests built")  # re-run: nothing new
    assert len(outbox.outbox) == 1
    digest = outbox.outbox[0]
    assert digest.to == [cast.agent.email] and "2 new notifications" in digest.subject
    assert digest.body.count("/notifications/") == 3  # two items and the settings link


def test_a_digest_rerun_takes_no_notification_twice(cast):
    submitted_review(cast.conversation, cast.qa, position=1)
    assert build_digests() == 1
    assert build_digests() == 0
    assert Mail.objects.count() == 1


def test_each_person_chooses_per_kind(cast):
    client = cast.client(cast.agent)
    page = client.get(reverse("notification-settings"))
    assert page.status_code == 200
    assert list(page.context["form"].fields) == [
        Kind.REVIEW_RECEIVED,
        Kind.REVIEW_EDITED,
        Kind.DISPUTE_DECIDED,
        Kind.WORKFLOW_STEP,
        Kind.WORKFLOW_SENT_BACK,
        Kind.WORKFLOW_FEEDBACK,
        Kind.COACHING_SESSION,
        Kind.COACHING_GOAL,
    ]  # an agent's kinds only
    data = {kind: Delivery.OFF for kind in page.context["form"].fields}
    data[Kind.REVIEW_RECEIVED] = Delivery.IMMEDIATELY
    assert client.post(reverse("notification-settings"), data).status_code == 302
    assert Preference.objects.get(user=cast.agent, kind=Kind.REVIEW_RECEIVED).delivery == (
        Delivery.IMMEDIATELY
    )
    submitted_review(cast.conversation, cast.qa, position=1)
    assert Notification.objects.get(user=cast.agent).mail is not None
    bad = client.post(reverse("notification-settings"), {Kind.REVIEW_RECEIVED: "sometimes"})
    assert bad.status_code == 400


def test_each_role_chooses_for_its_own_kinds(cast):
    peer = cast.client(cast.peer).get(reverse("notification-settings")).context["form"]
    assert len(peer.fields) == len(Kind) - 2  # reviewed and reviewing; no shops, no alerts
    qa = cast.client(cast.qa).get(reverse("notification-settings")).context["form"]
    assert Kind.REVIEW_RECEIVED not in qa.fields and Kind.DISPUTE_RAISED in qa.fields
    shopper = cast.client(cast.outsider).get(reverse("notification-settings")).context["form"]
    assert list(shopper.fields) == [Kind.SHOP_ASSIGNED]


def test_off_still_shows_in_the_app_but_mails_nothing(cast):
    Preference.objects.create(user=cast.agent, kind=Kind.REVIEW_RECEIVED, delivery=Delivery.OFF)
    submitted_review(cast.conversation, cast.qa, position=1)
    assert build_digests() == 0
    assert Notification.objects.get(user=cast.agent).mail is None


def test_no_address_is_skipped_with_the_reason(cast):
    cast.qa.email = ""
    cast.qa.save()
    notify(users=[cast.qa], kind=Kind.DISPUTE_RAISED, text="x", link="/")
    sending.send_queued("w1")
    mail = Mail.objects.get()
    assert mail.status == Mail.Status.SKIPPED and "no e-mail address" in mail.error


def test_a_failing_server_is_retried_with_back_off_then_given_up(cast, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("connection lost")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    notify(users=[cast.qa], kind=Kind.DISPUTE_RAISED, text="x", link="/")
    sending.send_queued("w1")
    mail = Mail.objects.get()
    assert mail.status == Mail.Status.QUEUED and mail.attempts == 1
    assert "connection lost" in mail.error
    assert mail.next_attempt_at > timezone.now() + timedelta(seconds=50)
    assert sending.send_queued("w1") == 0  # not due yet
    for _ in range(sending.ATTEMPTS):
        Mail.objects.update(next_attempt_at=timezone.now())
        sending.send_queued("w1")
    mail.refresh_from_db()
    assert mail.status == Mail.Status.FAILED and mail.attempts == sending.ATTEMPTS


def test_a_mail_claimed_by_one_worker_is_not_sent_by_another(cast):
    from supportqa.claims import claim

    notify(users=[cast.qa], kind=Kind.DISPUTE_RAISED, text="x", link="/")
    assert claim(sending._due(), "other-host:1", 10)
    assert sending.send_queued("w1") == 0
    assert outbox.outbox == []


def test_seeing_the_page_a_notification_points_to_reads_it(cast):
    review = submitted_review(cast.conversation, cast.qa, position=1)
    note = Notification.objects.get(user=cast.agent)
    cast.client(cast.agent).get(reverse("review-detail", args=[review.code]))
    note.refresh_from_db()
    assert note.read_at is not None


def test_a_page_view_with_nothing_to_mark_read_writes_nothing(cast):
    """The bell looks before it writes: on SQLite an UPDATE takes the one write lock even
    when it changes nothing, and every page view would queue behind the writers for it."""
    review = submitted_review(cast.conversation, cast.qa, position=1)
    client = cast.client(cast.agent)
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as seen:
        assert client.get(reverse("home")).status_code == 200
    # (A UNION of reads starts with a parenthesis on PostgreSQL.)
    written = [q["sql"] for q in seen if not q["sql"].lstrip("( ").upper().startswith("SELECT")]
    assert written == []
    assert Notification.objects.get(user=cast.agent).read_at is None
    client.get(reverse("review-detail", args=[review.code]))
    assert Notification.objects.get(user=cast.agent).read_at is not None


def test_a_decided_dispute_is_no_longer_waiting_in_anyones_notifications(cast):
    review = submitted_review(cast.conversation, cast.qa, position=1)
    dispute = dispute_one(review, cast.agent)
    decide_dispute(dispute=dispute, by=cast.lead, accepted=set(), reason="Stands")
    waiting = Notification.objects.filter(kind=Kind.DISPUTE_RAISED)
    assert waiting.count() == 2 and not waiting.filter(read_at__isnull=True).exists()
