"""A coaching session as an iCalendar invitation (RFC 5545, the `icalendar` package): sent
with the notification e-mail and downloadable; a change raises its SEQUENCE, a cancellation
is METHOD:CANCEL, so calendars update the event in place."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from icalendar import Calendar, Event, vCalAddress

from supportqa.coaching.models import Session


def invitation(session: Session) -> bytes:
    cancelled = session.state == Session.State.CANCELLED
    calendar = Calendar()
    calendar.add("prodid", "-//SupportQA//Coaching//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    host = settings.SUPPORTQA_BASE_URL.split("//")[-1].split("/")[0] or "supportqa"
    event.add("uid", f"coaching-{session.code}@{host}")
    event.add("sequence", session.sequence)
    event.add("dtstamp", session.created_at)
    event.add("dtstart", session.starts_at)
    event.add("dtend", session.starts_at + timedelta(minutes=session.minutes))
    event.add("summary", f"Coaching: {session.agent.name} with {session.coach.name}")
    page = f"{settings.SUPPORTQA_BASE_URL.rstrip('/')}/coaching/{session.code}/"
    event.add("description", f"{session.get_format_display()}. Preparation and record: {page}")
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if session.meeting_link:
        event.add("location", session.meeting_link)
        event.add("url", session.meeting_link)
    for person, role in ((session.coach, "CHAIR"), (session.agent, "REQ-PARTICIPANT")):
        if person.email:
            attendee = vCalAddress(f"mailto:{person.email}")
            attendee.params["cn"] = person.name
            attendee.params["role"] = role
            event.add("attendee" if role != "CHAIR" else "organizer", attendee)
    calendar.add_component(event)
    return bytes(calendar.to_ical())
