"""Coaching sessions: who coaches whom, scheduling outside shifts with a calendar invitation,
the record in the guidelines' order, SMART goals checked before they are kept, sign-off by
both. Every change is one transaction with an audit event; refusals say why (CoachingError)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from supportqa.accounts.access import agents_for
from supportqa.accounts.models import Role, Shift, User
from supportqa.accounts.permissions import may_coach
from supportqa.audit.actions import record_event
from supportqa.coaching import measure
from supportqa.coaching.invites import invitation
from supportqa.coaching.models import Area, Goal, Session, SessionRating
from supportqa.conversations.models import Conversation
from supportqa.core import coaching
from supportqa.core.intervals import Estimate, clip, mean_interval
from supportqa.notifications.actions import notify
from supportqa.notifications.models import Kind
from supportqa.reports.periods import whole_days

SUPPORT = ["Training", "Resources to read", "Shadowing a colleague", "Regular check-ins"]
LONGEST = 180  # minutes


class CoachingError(ValueError):
    """A coaching change that cannot be made, in words."""


def coachable(user: User) -> QuerySet[User]:
    return agents_for(user) if may_coach(user) else User.objects.none()


def sessions_for(user: User) -> QuerySet[Session]:
    """The agent's own sessions, and those of the agents the person coaches."""
    return Session.objects.filter(Q(agent=user) | Q(agent__in=coachable(user))).select_related(
        "agent", "coach"
    )


def _clash(agent: User, coach: User, starts: datetime, minutes: int, keep: int | None) -> str:
    """Why this time does not suit ("" when it does): a shift of the agent, or another
    session of the agent or the coach."""
    ends = starts + timedelta(minutes=minutes)
    shift = Shift.objects.filter(agent=agent, starts_at__lt=ends, ends_at__gt=starts).first()
    if shift is not None:
        local = timezone.localtime
        return (f"it falls in {agent.name}'s shift {local(shift.starts_at):%d %b %H:%M}–"
                f"{local(shift.ends_at):%H:%M}: coaching is planned outside shifts")  # fmt: skip
    for other in Session.objects.filter(
        Q(agent=agent) | Q(coach=coach) | Q(agent=coach) | Q(coach=agent),
        state__in=[Session.State.SCHEDULED],
        starts_at__lt=ends,
    ).exclude(pk=keep):
        if other.starts_at + timedelta(minutes=other.minutes) > starts:
            who = agent.name if agent.pk in (other.agent_id, other.coach_id) else coach.name
            at = timezone.localtime(other.starts_at)
            until = at + timedelta(minutes=other.minutes)
            return f"{who} has another coaching session {at:%d %b %H:%M}–{until:%H:%M}"
    return ""


def _check_time(starts: datetime, minutes: int) -> None:
    if starts <= timezone.now():
        raise CoachingError("choose a time in the future")
    if not 15 <= minutes <= LONGEST:
        raise CoachingError(f"a session lasts 15 to {LONGEST} minutes")


def schedule(
    *,
    agent: User,
    coach: User,
    starts_at: datetime,
    minutes: int,
    format: str,
    period_first: date,
    period_last: date,
    follows: Session | None = None,
    meeting_link: str = "",
) -> Session:
    """Plan a session (or a follow-up of one); the agent gets the invitation."""
    if not coachable(coach).filter(pk=agent.pk).exists():
        raise CoachingError("you do not coach this agent")
    if format not in Session.Format.values:
        raise CoachingError("choose the format: video call or written report")
    if period_last < period_first:
        raise CoachingError("the period to prepare ends before it starts")
    if meeting_link and not meeting_link.startswith(("https://", "http://")):
        raise CoachingError("the meeting link is a web address (https://…)")
    _check_time(starts_at, minutes)
    with transaction.atomic():
        why = _clash(agent, coach, starts_at, minutes, None)
        if why:
            raise CoachingError(why)
        session = Session.objects.create(
            agent=agent, coach=coach, starts_at=starts_at, minutes=minutes, format=format,
            period_first=period_first, period_last=period_last, follows=follows,
            meeting_link=meeting_link[:200],
        )  # fmt: skip
        record_event(actor=coach, action="coaching.scheduled", obj=session,
                     data={"agent": agent.username, "starts_at": starts_at.isoformat(),
                           "follows": follows.code if follows else ""})  # fmt: skip
        _tell(session, coach, "planned a coaching session with you")
    return session


def reschedule(session: Session, *, by: User, starts_at: datetime, minutes: int) -> Session:
    _may_change(session, by)
    _check_time(starts_at, minutes)
    with transaction.atomic():
        locked = Session.objects.select_for_update().get(pk=session.pk)
        if locked.state != Session.State.SCHEDULED:
            raise CoachingError(f"the session is {locked.get_state_display().lower()}")
        why = _clash(locked.agent, locked.coach, starts_at, minutes, locked.pk)
        if why:
            raise CoachingError(why)
        before = locked.starts_at
        locked.starts_at, locked.minutes = starts_at, minutes
        locked.sequence += 1
        locked.save(update_fields=["starts_at", "minutes", "sequence"])
        record_event(actor=by, action="coaching.rescheduled", obj=locked,
                     data={"from": before.isoformat(), "to": starts_at.isoformat()})  # fmt: skip
        _tell(locked, by, "moved your coaching session")
    return locked


def cancel(session: Session, *, by: User, reason: str) -> Session:
    _may_change(session, by)
    if not reason.strip():
        raise CoachingError("say why the session is cancelled: the agent reads it")
    with transaction.atomic():
        locked = Session.objects.select_for_update().get(pk=session.pk)
        if locked.state != Session.State.SCHEDULED:
            raise CoachingError(f"the session is {locked.get_state_display().lower()}")
        locked.state, locked.cancelled_reason = Session.State.CANCELLED, reason.strip()
        locked.sequence += 1
        locked.save(update_fields=["state", "cancelled_reason", "sequence"])
        record_event(actor=by, action="coaching.cancelled", obj=locked,
                     data={"reason": reason.strip()})  # fmt: skip
        _tell(locked, by, f"cancelled your coaching session: {reason.strip()}")
    return locked


def _may_change(session: Session, by: User) -> None:
    if not coachable(by).filter(pk=session.agent_id).exists():
        raise CoachingError("only the agent's coach changes the session")


def _tell(session: Session, by: User, what: str) -> None:
    when = timezone.localtime(session.starts_at).strftime("%d %b %Y %H:%M")
    notify(
        users=[session.agent],
        kind=Kind.COACHING_SESSION,
        text=f"{by.name} {what} ({when}, {session.get_format_display().lower()}).",
        link=f"/coaching/{session.code}/",
        actor=by,
        attachment=(f"coaching-{session.code}.ics", invitation(session)),
    )


# --- the record -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaInput:
    metric: str
    note: str
    examples: list[str]


@dataclass(frozen=True)
class GoalInput:
    metric: str
    target: float | None
    due: date | None


def goal_checks(session: Session, goal: GoalInput, areas: list[AreaInput]) -> list[coaching.Check]:
    """The SMART checks of a goal for this session's agent: baseline over the packet's
    period, peers over the same period, areas of this and earlier sessions."""
    return _assessed(session, goal, areas, measure.goal_metrics())[0]


def _assessed(
    session: Session, goal: GoalInput, areas: list[AreaInput], catalogue: dict[str, coaching.Metric]
) -> tuple[list[coaching.Check], Estimate]:
    """The goal's checks and the baseline they read (kept with the goal when it is saved)."""
    metric = catalogue.get(goal.metric)
    period = whole_days(session.period_first, session.period_last)
    baseline, peers = (
        measure.baseline_and_peers(session.agent, goal.metric, period)
        if metric
        else (Estimate(None, 0), [])
    )
    earlier = set(
        Area.objects.filter(session__agent=session.agent).values_list("metric", flat=True)
    )
    # A goal is due after the session it is agreed in (a week at least, from then).
    from_day = max(timezone.localdate(), timezone.localtime(session.starts_at).date())
    checks = coaching.smart(metric, goal.target, baseline, peers,
                            earlier | {a.metric for a in areas}, goal.due, from_day)  # fmt: skip
    return checks, baseline


def save_record(
    session: Session,
    *,
    by: User,
    positives: str,
    areas: list[AreaInput],
    support: list[str],
    support_note: str,
    goals: list[GoalInput],
) -> Session:
    """The coach's record, saved as a draft (the session is then "held"): every area tied to
    a criterion or KPI with example conversations of the agent; every goal SMART."""
    _may_change(session, by)
    if session.state in (Session.State.CANCELLED, Session.State.SIGNED):
        raise CoachingError(f"the session is {session.get_state_display().lower()}")
    catalogue = measure.goal_metrics()
    own = Conversation.objects.filter(agent=session.agent)
    for number, area in enumerate(areas, start=1):
        if area.metric not in catalogue:
            raise CoachingError(f"area {number}: choose its criterion or KPI")
        if not area.note.strip():
            raise CoachingError(f"area {number}: say what to improve")
        found = set(own.filter(code__in=area.examples).values_list("code", flat=True))
        if set(area.examples) - found:
            missing = sorted(set(area.examples) - found)
            raise CoachingError(
                f"area {number}: {', '.join(missing)} "
                f"{'is not a conversation' if len(missing) == 1 else 'are not conversations'} "
                f"of {session.agent.name}"
            )
    unknown = set(support) - set(SUPPORT)
    if unknown:
        raise CoachingError(f"support offered: choose among {', '.join(SUPPORT)}")
    baselines = []
    for number, goal in enumerate(goals, start=1):
        checks, baseline = _assessed(session, goal, areas, catalogue)
        baselines.append(baseline)
        failed = [c for c in checks if not c.ok]
        if failed:
            raise CoachingError(
                f"goal {number} is not SMART: " + "; ".join(f"{c.letter} — {c.why}" for c in failed)
            )
    with transaction.atomic():
        locked = Session.objects.select_for_update().get(pk=session.pk)
        locked.positives, locked.support, locked.support_note = (
            positives.strip(), support, support_note.strip(),
        )  # fmt: skip
        if locked.starts_at <= timezone.now():  # before it, the record is the coach's notes
            locked.state = Session.State.HELD
        locked.coach_signed_at = locked.agent_signed_at = None  # a change asks both again
        locked.save()
        locked.areas.all().delete()
        Area.objects.bulk_create(
            Area(session=locked, metric=a.metric, note=a.note.strip(), examples=a.examples)
            for a in areas
        )
        locked.goals.all().delete()
        for goal, baseline in zip(goals, baselines, strict=True):
            assert goal.target is not None and goal.due is not None
            Goal.objects.create(
                session=locked, agent=locked.agent, metric=goal.metric, target=goal.target,
                due=goal.due, set_on=timezone.localdate(),
                baseline={"value": baseline.value, "low": baseline.low,
                          "high": baseline.high, "n": baseline.n},
            )  # fmt: skip
        record_event(actor=by, action="coaching.recorded", obj=locked,
                     data={"areas": [a.metric for a in areas],
                           "goals": [(g.metric, g.target) for g in goals]})  # fmt: skip
    return locked


def reflect(session: Session, *, by: User, text: str) -> None:
    """The agent's self-reflection, before or after the session, until both signed."""
    if by.pk != session.agent_id:
        raise CoachingError("only the agent writes their self-reflection")
    if session.state in (Session.State.CANCELLED, Session.State.SIGNED):
        raise CoachingError(f"the session is {session.get_state_display().lower()}")
    with transaction.atomic():
        locked = Session.objects.select_for_update().get(pk=session.pk)
        signed = bool(locked.coach_signed_at or locked.agent_signed_at)
        locked.self_reflection = text.strip()[:5000]
        locked.coach_signed_at = locked.agent_signed_at = None  # a changed record: sign again
        locked.save(update_fields=["self_reflection", "coach_signed_at", "agent_signed_at"])
        record_event(actor=by, action="coaching.reflected", obj=locked, data={})
        if signed:
            notify(users=[locked.coach], kind=Kind.COACHING_SESSION, actor=by,
                   text=f"{by.name} changed their self-reflection: the record of "
                        f"{timezone.localtime(locked.starts_at):%d %b} needs both signatures "
                        "again.",
                   link=f"/coaching/{locked.code}/")  # fmt: skip


def sign(session: Session, *, by: User) -> Session:
    """The coach, then the agent (or the other way round), sign the record off."""
    with transaction.atomic():
        locked = Session.objects.select_for_update().get(pk=session.pk)
        if locked.starts_at > timezone.now():
            when = timezone.localtime(locked.starts_at).strftime("%d %b %H:%M")
            raise CoachingError(f"the record is signed after the session ({when})")
        if locked.state not in (Session.State.SCHEDULED, Session.State.HELD):
            raise CoachingError(f"the session is {locked.get_state_display().lower()}")
        if not locked.positives or not locked.areas.exists() or not locked.goals.exists():
            raise CoachingError("the record needs its positives, an area and a goal first")
        now = timezone.now()
        if by.pk == locked.agent_id:
            locked.agent_signed_at = now
        elif coachable(by).filter(pk=locked.agent_id).exists():
            locked.coach_signed_at = now
        else:
            raise CoachingError("only the agent and their coach sign the record")
        locked.state = Session.State.HELD
        if locked.agent_signed_at and locked.coach_signed_at:
            locked.state = Session.State.SIGNED
        locked.save(update_fields=["agent_signed_at", "coach_signed_at", "state"])
        record_event(actor=by, action="coaching.signed", obj=locked, data={"state": locked.state})
        from supportqa.coaching.pdf import written_report  # (the report reads `track`)

        other = locked.coach if by.pk == locked.agent_id else locked.agent
        written = locked.format == Session.Format.WRITTEN and other.pk == locked.agent_id
        notify(users=[other], kind=Kind.COACHING_SESSION, actor=by,
               text=f"{by.name} signed the record of the coaching session of "
                    f"{timezone.localtime(locked.starts_at):%d %b}"
                    + (": your written feedback report is attached." if written else "."),
               link=f"/coaching/{locked.code}/",
               attachment=(f"feedback-{locked.code}.pdf", written_report(locked))
               if written else None)  # fmt: skip
    return locked


# --- goals ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tracked:
    goal: Goal
    metric: coaching.Metric | None
    progress: coaching.Progress | None


def track(
    goal: Goal, today: date | None = None, catalogue: dict[str, coaching.Metric] | None = None
) -> Tracked:
    """A goal's progress from the data: the agent's value since it was set; recognition is
    sent once when it is met. `catalogue`: the goal metrics, when the caller tracks many."""
    today = today or timezone.localdate()
    metric = (catalogue if catalogue is not None else measure.goal_metrics()).get(goal.metric)
    if metric is None:
        return Tracked(goal, None, None)
    period = whole_days(goal.set_on, min(today, goal.due))
    current = measure.values(goal.agent, goal.metric, period).get(goal.agent_id)
    found = coaching.progress(
        metric, goal.target, goal.baseline.get("value"), current or Estimate(None, 0),
        goal.set_on, goal.due, today,
    )  # fmt: skip
    if found.status == "met" and goal.met_at is None:
        _recognise(goal, metric)
    return Tracked(goal, metric, found)


def _recognise(goal: Goal, metric: coaching.Metric) -> None:
    with transaction.atomic():
        if not Goal.objects.filter(pk=goal.pk, met_at__isnull=True).update(met_at=timezone.now()):
            return
        coach = goal.session.coach
        notify(users=[goal.agent, coach], kind=Kind.COACHING_GOAL,
               text=f"Goal met: {goal.agent.name} reached {metric.label} {goal.target:g}.",
               link=f"/coaching/{goal.session.code}/")  # fmt: skip
        record_event(actor=None, action="coaching.goal_met", obj=goal, data={})


# --- feedback on the feedback ------------------------------------------------------------

# A coach sees the feedback on their own sessions only from this many answers on (so no
# single answer can be traced back to an agent); managers see it all.
ANONYMOUS_BELOW = 5
ASPECTS = ("useful", "specific", "fair")


def rate(session: Session, *, by: User, scores: dict[str, int], comment: str) -> None:
    """The agent rates their signed session once: useful, specific, fair (1–5)."""
    if by.pk != session.agent_id:
        raise CoachingError("only the agent rates their session")
    if session.state != Session.State.SIGNED:
        raise CoachingError("a session is rated once its record is signed")
    if any(not isinstance(scores.get(a), int) or not 1 <= scores[a] <= 5 for a in ASPECTS):
        raise CoachingError("rate each of useful, specific and fair from 1 to 5")
    with transaction.atomic():
        _, made = SessionRating.objects.get_or_create(
            session=session, defaults={**{a: scores[a] for a in ASPECTS},
                                       "comment": comment.strip()[:2000]},
        )  # fmt: skip
        if not made:
            raise CoachingError("you rated this session already")
        record_event(actor=by, action="coaching.rated", obj=session, data={})


@dataclass(frozen=True)
class CoachFeedback:
    coach: User
    answers: int
    means: dict[str, Estimate]  # per aspect, 1–5, with its t interval
    shown: bool  # False: too few answers for the coach to see them


def coach_feedback(viewer: User) -> list[CoachFeedback]:
    """Per coach: the mean rating of each aspect with its interval. Managers and admins see
    every coach whose sessions they see; a lead sees their own, and only from
    ANONYMOUS_BELOW answers on."""
    rated = (
        SessionRating.objects.filter(session__in=sessions_for(viewer))
        .select_related("session__coach")
        .order_by("session__coach__display_name")
    )
    by_coach: dict[int, list[SessionRating]] = {}
    coaches: dict[int, User] = {}
    for rating in rated:
        by_coach.setdefault(rating.session.coach_id, []).append(rating)
        coaches[rating.session.coach_id] = rating.session.coach
    managing = viewer.role in (Role.MANAGER, Role.ADMIN)
    found = []
    for pk, ratings in by_coach.items():
        if not managing and pk != viewer.pk:
            continue  # a lead sees their own figures only
        shown = managing or len(ratings) >= ANONYMOUS_BELOW
        means = {
            a: clip(mean_interval([float(getattr(r, a)) for r in ratings]), 1, 5) for a in ASPECTS
        }  # a 1–5 scale's interval stays on it
        # Below the threshold a lead does not even see the count (a new answer would show).
        answers = len(ratings) if shown else 0
        found.append(CoachFeedback(coaches[pk], answers, means if shown else {}, shown))
    return found


# --- reminders (`supportqa coaching remind`, from cron) -------------------------------------

SESSION_SOON = timedelta(hours=24)
GOAL_SOON = timedelta(days=3)


def remind(now: datetime | None = None) -> tuple[int, int, int]:
    """Tell agent and coach of sessions in the next 24 hours and of goals due in the next 3
    days (each once), and recognise goals met. Returns (sessions, goals due, goals met)."""
    now = now or timezone.now()
    sessions = 0
    for session in Session.objects.filter(
        state=Session.State.SCHEDULED, reminded_at__isnull=True,
        starts_at__gt=now, starts_at__lte=now + SESSION_SOON,
    ).select_related("agent", "coach"):  # fmt: skip
        if Session.objects.filter(pk=session.pk, reminded_at__isnull=True).update(reminded_at=now):
            when = timezone.localtime(session.starts_at).strftime("%a %d %b %H:%M")
            notify(users=[session.agent, session.coach], kind=Kind.COACHING_SESSION,
                   text=f"Coaching session {when}: {session.agent.name} with "
                        f"{session.coach.name}.",
                   link=f"/coaching/{session.code}/")  # fmt: skip
            sessions += 1
    today = timezone.localdate()
    due, met = 0, 0
    open_goals = Goal.objects.filter(met_at__isnull=True, due__gte=today).select_related(
        "agent", "session__coach"
    )
    catalogue = measure.goal_metrics()
    for goal in open_goals:
        tracked = track(goal, today, catalogue)
        if tracked.progress is not None and tracked.progress.status == "met":
            met += 1
            continue
        if (
            goal.due <= today + GOAL_SOON
            and goal.reminded_at is None
            and Goal.objects.filter(pk=goal.pk, reminded_at__isnull=True).update(reminded_at=now)
        ):
            label = tracked.metric.label if tracked.metric else goal.metric
            notify(users=[goal.agent, goal.session.coach], kind=Kind.COACHING_SESSION,
                   text=f"Goal due {goal.due:%d %b}: {label} {goal.target:g} "
                        f"({tracked.progress.status if tracked.progress else 'no data'}).",
                   link=f"/coaching/{goal.session.code}/")  # fmt: skip
            due += 1
    return sessions, due, met


def feedback_by_month(viewer: User, months: int = 6) -> list[tuple[date, int, dict[str, float]]]:
    """Managers' view over time: per month of the last `months`, the number of ratings and
    each aspect's mean, over the sessions the viewer sees (empty for anyone else)."""
    if viewer.role not in (Role.MANAGER, Role.ADMIN):
        return []
    since = (timezone.localdate().replace(day=1) - timedelta(days=31 * (months - 1))).replace(day=1)
    grouped: dict[date, list[SessionRating]] = {}
    for rating in SessionRating.objects.filter(
        session__in=sessions_for(viewer), created_at__date__gte=since
    ):
        month = timezone.localtime(rating.created_at).date().replace(day=1)
        grouped.setdefault(month, []).append(rating)
    return [
        (month, len(found), {a: sum(getattr(r, a) for r in found) / len(found) for a in ASPECTS})
        for month, found in sorted(grouped.items())
    ]
