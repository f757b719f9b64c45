"""The demo's coaching (PRODUCT.md §3.8): team Alpha's lead coaches Ben (never uses names)
and Chloe (slow responder): a signed session weeks ago with its areas, goals at each status
read from the demo's own data and a measured effect; a follow-up planned; a record waiting for
the agent's signature; a session planned next week."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from supportqa.accounts.models import User
from supportqa.coaching import measure
from supportqa.coaching.models import Area, Goal, Session
from supportqa.notifications.actions import muted

POSITIVES = "Warm tone throughout, and you always close with a clear next step."


def build_coaching() -> int:
    """Sessions for the demo (once). Returns how many were made."""
    people = {u.username: u for u in User.objects.filter(username__in=["lead.alpha", "ben",
                                                                         "chloe"])}  # fmt: skip
    if Session.objects.exists() or len(people) < 3:
        return 0
    lead, ben, chloe = people["lead.alpha"], people["ben"], people["chloe"]
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    today = timezone.localdate()
    with muted():
        signed = _session(ben, lead, now - timedelta(days=40), Session.State.SIGNED,
                          reflection="I skip names when the queue is long.")  # fmt: skip
        Area.objects.create(session=signed, metric="criterion:personalization",
                            note="Use the customer's name and refer to their history.",
                            examples=_examples(ben))  # fmt: skip
        Area.objects.create(session=signed, metric="iqs", note="Overall quality follows.")
        iqs = measure.values(ben, "iqs", measure.period_of(today - timedelta(days=30), today)).get(
            ben.pk
        )
        value = iqs.value if iqs is not None and iqs.value is not None else 70.0
        set_on = today - timedelta(days=30)
        for target, baseline, due in (
            (round(value - 3), value - 8, today + timedelta(days=20)),  # met
            (round(value + 4), value - 10, today + timedelta(days=30)),  # on track
            (round(value + 20), value - 2, today + timedelta(days=3)),  # at risk
            (round(value + 15), value - 5, today - timedelta(days=2)),  # missed
        ):
            Goal.objects.create(session=signed, agent=ben, metric="iqs", target=min(target, 100),
                                baseline={"value": baseline}, set_on=set_on, due=due)  # fmt: skip
        follow_up = _session(ben, lead, now + timedelta(days=6, hours=2), Session.State.SCHEDULED)
        follow_up.follows = signed
        follow_up.save(update_fields=["follows"])
        held = _session(chloe, lead, now - timedelta(days=2), Session.State.HELD,
                        reflection="Long pauses happen when I look things up.")  # fmt: skip
        Area.objects.create(session=held, metric="criterion:response-time",
                            note="Tell the customer when you need time to look something up.",
                            examples=_examples(chloe))  # fmt: skip
        Goal.objects.create(session=held, agent=chloe, metric="criterion:response-time",
                            target=70, baseline={"value": 55}, set_on=today,
                            due=today + timedelta(days=45))  # fmt: skip
        held.coach_signed_at = now - timedelta(days=1)
        held.save(update_fields=["coach_signed_at"])
        _session(chloe, lead, now + timedelta(days=8, hours=3), Session.State.SCHEDULED)
    return Session.objects.count()


def _session(agent: User, coach: User, at: datetime, state: str, reflection: str = "") -> Session:
    session = Session.objects.create(
        agent=agent, coach=coach, starts_at=at, minutes=30, state=state,
        period_first=(at - timedelta(days=30)).date(), period_last=at.date(),
        positives=POSITIVES if state != Session.State.SCHEDULED else "",
        self_reflection=reflection, support=["Training"] if reflection else [],
        coach_signed_at=at if state == Session.State.SIGNED else None,
        agent_signed_at=at if state == Session.State.SIGNED else None,
    )  # fmt: skip
    return session


def _examples(agent: User) -> list[str]:
    return list(agent.conversations.order_by("-created_at").values_list("code", flat=True)[:2])
