"""The demo's coaching (PRODUCT.md §3.8): team Alpha's lead coaches Ben (never uses names)
and Chloe (slow responder): a signed session weeks ago with its areas, goals at each status
read from the demo's own data, Ben's rating of it and its measured effect; a follow-up
planned; a record waiting for the agent's signature; a session planned next week; and Ava's
best conversation shared in the peer learning library with her consent."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import timezone

from supportqa.accounts.models import User
from supportqa.coaching import library, measure
from supportqa.coaching.models import Area, Goal, Session, SessionRating
from supportqa.notifications.actions import muted
from supportqa.reports.periods import whole_days

POSITIVES = "Warm tone throughout, and you always close with a clear next step."


def build_coaching() -> int:
    """Sessions for the demo (once). Returns how many were made."""
    wanted = ["lead.alpha", "ben", "chloe", "ava"]
    people = {u.username: u for u in User.objects.filter(username__in=wanted)}
    if Session.objects.exists() or len(people) < len(wanted):
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
        set_on = today - timedelta(days=30)
        base = _value(ben, "iqs", set_on - timedelta(days=30), set_on)
        now_ = _value(ben, "iqs", set_on, today)
        if base is not None and now_ is not None:
            goals = [
                (round(now_ - 1), today + timedelta(days=20)),  # met, when Ben improved
                (round(now_ + 1), today + timedelta(days=300)),  # on track: a long way to go
                (round(now_ + 20), today + timedelta(days=3)),  # at risk: far, and due soon
                (round(now_ + 15), today - timedelta(days=2)),  # missed
            ]
            for target, due in goals:
                if target <= base:
                    continue  # not an improvement on what it was: no goal
                Goal.objects.create(session=signed, agent=ben, metric="iqs",
                                    target=min(target, 100), baseline={"value": base},
                                    set_on=set_on, due=due)  # fmt: skip
        follow_up = _session(ben, lead, now + timedelta(days=6, hours=2), Session.State.SCHEDULED)
        follow_up.follows = signed
        follow_up.save(update_fields=["follows"])
        held = _session(chloe, lead, now - timedelta(days=2), Session.State.HELD,
                        reflection="Long pauses happen when I look things up.")  # fmt: skip
        Area.objects.create(session=held, metric="criterion:response-time",
                            note="Tell the customer when you need time to look something up.",
                            examples=_examples(chloe))  # fmt: skip
        chloe_base = _value(chloe, "criterion:response-time", today - timedelta(days=32),
                            today - timedelta(days=2))  # fmt: skip
        if chloe_base is not None:
            Goal.objects.create(session=held, agent=chloe, metric="criterion:response-time",
                                target=min(100, round(chloe_base + 20)),
                                baseline={"value": chloe_base}, set_on=today,
                                due=today + timedelta(days=45))  # fmt: skip
        held.coach_signed_at = now - timedelta(days=1)
        held.save(update_fields=["coach_signed_at"])
        _session(chloe, lead, now + timedelta(days=8, hours=3), Session.State.SCHEDULED)
        SessionRating.objects.create(session=signed, useful=5, specific=4, fair=5,
                                     comment="The examples made it concrete.")  # fmt: skip
        _library(lead, people["ava"])
    return Session.objects.count()


def _library(lead: User, ava: User) -> None:
    """Ava's best-reviewed conversation, nominated by her lead and shared with her consent."""
    best = (
        ava.conversations.filter(reviews__final_score__gte=95, reviews__submitted_at__isnull=False)
        .order_by("-created_at")
        .first()
    )
    if best is None:
        return
    note = "Warm, personal and complete: a model first reply."
    item = library.nominate(
        by=lead, conversation_code=best.code, criteria=["personalization", "tone"], note=note
    )
    library.answer(item, by=ava, consent=True)


def _value(agent: User, key: str, first: date, last: date) -> float | None:
    found = measure.values(agent, key, whole_days(first, last)).get(agent.pk)
    return found.value if found is not None and found.value is not None else None


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
