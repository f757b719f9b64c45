"""Each person sees times in their own time zone, named on every page; stored times stay UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from django.urls import reverse

from supportqa.audit.models import AuditEvent
from supportqa.notifications.models import Kind, Notification
from tests.conftest import make_conversation


def test_times_are_shown_in_the_persons_zone_and_the_zone_is_named(cast):
    note = Notification.objects.create(
        user=cast.agent, kind=Kind.REVIEW_RECEIVED, text="x", delivery="off"
    )
    Notification.objects.filter(pk=note.pk).update(
        created_at=datetime(2026, 10, 1, 22, 30, tzinfo=UTC)
    )
    client = cast.client(cast.agent)
    assert "01 Oct 2026 22:30" in client.get(reverse("inbox")).content.decode()
    cast.agent.time_zone = "Asia/Tokyo"  # UTC+9
    cast.agent.save()
    page = client.get(reverse("inbox")).content.decode()
    assert "02 Oct 2026 07:30" in page
    assert "Times are shown in Asia/Tokyo" in page


def test_days_picked_in_a_filter_are_the_persons_days(cast):
    late = make_conversation(
        cast.agent, cast.team, "late", created=datetime(2026, 10, 1, 20, 0, tzinfo=UTC)
    )
    cast.qa.time_zone = "Asia/Tokyo"  # 20:00 UTC on 1 October is 05:00 on 2 October there
    cast.qa.save()
    listing = cast.client(cast.qa).get(
        reverse("conversation-list"), {"since": "2026-10-02", "until": "2026-10-02"}
    )
    assert late in listing.context["page"].object_list


def test_a_person_changes_their_zone_on_the_account_page(cast):
    client = cast.client(cast.agent)
    response = client.post(reverse("account"), {"action": "zone", "time_zone": "Europe/Paris"})
    assert response.status_code == 302
    cast.agent.refresh_from_db()
    assert cast.agent.time_zone == "Europe/Paris"
    assert AuditEvent.objects.filter(action="account.time_zone_changed").exists()
    bad = client.post(reverse("account"), {"action": "zone", "time_zone": "Mars/Olympus"})
    assert bad.status_code == 400 and "Select a valid choice" in bad.content.decode()
    cast.agent.refresh_from_db()
    assert cast.agent.time_zone == "Europe/Paris"
