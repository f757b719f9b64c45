"""Coaching pages: the coach's and the agent's overview, the preparation packet, scheduling,
the session with its record, goals and sign-off, and the invitation. Scope: the agent's own
sessions, and those of the agents the person coaches (outside it: 404)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from supportqa.accounts.models import User
from supportqa.accounts.permissions import allowed, may_coach, may_use_coaching
from supportqa.coaching import actions, library, measure
from supportqa.coaching.actions import AreaInput, CoachingError, GoalInput
from supportqa.coaching.invites import invitation
from supportqa.coaching.models import Goal, Session
from supportqa.coaching.pdf import written_report
from supportqa.reports.periods import whole_days
from supportqa.scorecards.models import Criterion

ROWS = 3  # areas and goals the record form offers


def _session(request: HttpRequest, code: str) -> Session:
    found = actions.sessions_for(request.user).filter(code=code).first()
    if found is None:
        raise Http404("No such session")
    return found


def _agent(request: HttpRequest, code: str) -> User:
    found = actions.coachable(request.user).filter(code=code).first()
    if found is None:
        raise Http404("No such agent")
    return found


def _day(value: str, default: date) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return default


@allowed(may_use_coaching)
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    sessions = actions.sessions_for(user)
    goals = Goal.objects.filter(session__in=sessions).select_related("session", "agent")
    today = timezone.localdate()
    catalogue = measure.goal_metrics()
    tracked = [actions.track(g, catalogue=catalogue) for g in goals.order_by("due")[:100]]
    statuses: dict[str, int] = {}
    for t in tracked:
        key = t.progress.status if t.progress else "not enough data"
        statuses[key] = statuses.get(key, 0) + 1
    by_metric, by_coach = measure.pooled_effects(sessions) if may_coach(user) else ([], [])
    return render(
        request,
        "coaching/home.html",
        {
            "upcoming": sessions.filter(state=Session.State.SCHEDULED).order_by("starts_at"),
            "to_sign": sessions.filter(state=Session.State.HELD).order_by("starts_at"),
            "signed": sessions.filter(state=Session.State.SIGNED)[:20],
            "goals": tracked,
            "statuses": statuses,
            "held": sessions.filter(
                state=Session.State.SIGNED, starts_at__gte=timezone.now() - timedelta(days=90)
            ).count(),
            "by_metric": by_metric,
            "by_coach": by_coach,
            "agents": actions.coachable(user).order_by("display_name", "username"),
            "feedback": actions.coach_feedback(user) if may_coach(user) else [],
            "over_time": actions.feedback_by_month(user),
            "anonymous_below": actions.ANONYMOUS_BELOW,
            "coach": may_coach(user),
            "first": today - timedelta(days=30),
            "last": today,
            "nav": "coaching",
        },
    )


@allowed(may_coach)
@require_GET
def packet(request: HttpRequest, code: str) -> HttpResponse:
    """The preparation packet of an agent for a period (printable)."""
    agent = _agent(request, code)
    today = timezone.localdate()
    first = _day(request.GET.get("from", ""), today - timedelta(days=30))
    last = min(_day(request.GET.get("to", ""), today), today)
    if last < first or (last - first).days > 366:
        messages.warning(
            request,
            "That period could not be used (it ended before it started, "
            "or was longer than a year): the last 30 days are shown.",
        )
        first, last = today - timedelta(days=30), today
    found = measure.packet(agent, whole_days(first, last))
    return render(
        request,
        "coaching/packet.html",
        {"packet": found, "agent": agent, "first": first, "last": last, "nav": "coaching"},
    )


@allowed(may_coach)
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    """Plan a session (or, with ?follows=, a follow-up of one)."""
    user = request.user
    follows = (
        actions.sessions_for(user).filter(code=request.GET.get("follows", "")).first()
        if request.GET.get("follows")
        else None
    )
    agent_code = (
        request.POST.get("agent")
        or request.GET.get("agent")
        or (follows.agent.code if follows else "")
    )
    today = timezone.localdate()
    error = ""
    if request.method == "POST":
        agent = actions.coachable(user).filter(code=agent_code).first()
        try:
            starts = timezone.make_aware(datetime.fromisoformat(request.POST.get("starts_at", "")))
        except ValueError:
            starts = None
        try:
            if agent is None:
                raise CoachingError("choose the agent")
            if starts is None:
                raise CoachingError("give the date and time")
            session = actions.schedule(
                agent=agent, coach=user, starts_at=starts,
                minutes=int(request.POST.get("minutes") or 0),
                format=request.POST.get("format", ""),
                period_first=_day(request.POST.get("period_first", ""), today - timedelta(30)),
                period_last=_day(request.POST.get("period_last", ""), today),
                follows=follows, meeting_link=request.POST.get("meeting_link", "").strip(),
            )  # fmt: skip
        except (CoachingError, ValueError) as exc:
            error = str(exc)[:1].upper() + str(exc)[1:]
        else:
            messages.success(request, f"Planned; {session.agent.name} has the invitation.")
            return redirect("coaching-session", session.code)
    return render(
        request,
        "coaching/new.html",
        {
            "agents": actions.coachable(user).order_by("display_name", "username"),
            "feedback": actions.coach_feedback(user) if may_coach(user) else [],
            "over_time": actions.feedback_by_month(user),
            "anonymous_below": actions.ANONYMOUS_BELOW,
            "agent_code": agent_code,
            "follows": follows,
            "formats": Session.Format.choices,
            "typed": request.POST,
            "first": today - timedelta(days=30),
            "last": today,
            "error": error,
            "nav": "coaching",
        },
        status=400 if error else 200,
    )


def _subjects(codes: list[str]) -> list[tuple[str, str]]:
    """(code, subject) of example conversations, for a reader who does not know codes."""
    from supportqa.conversations.models import Conversation

    found = dict(Conversation.objects.filter(code__in=codes).values_list("code", "subject"))
    return [(code, found.get(code) or code) for code in codes]


def _record_input(post: Any) -> tuple[list[AreaInput], list[GoalInput]]:
    areas, goals = [], []
    for i in range(1, ROWS + 1):
        metric = post.get(f"area-{i}-metric", "")
        note = post.get(f"area-{i}-note", "")
        if metric or note.strip():
            codes = [
                c.strip() for c in post.get(f"area-{i}-examples", "").replace(",", " ").split()
            ]
            areas.append(AreaInput(metric, note, [c for c in codes if c][:10]))
        goal_metric = post.get(f"goal-{i}-metric", "")
        if goal_metric:
            try:  # a decimal comma is a decimal point
                target = float(post.get(f"goal-{i}-target", "").strip().replace(",", "."))
            except ValueError:
                target = None
            due = _day(post.get(f"goal-{i}-due", ""), date.min)
            goals.append(GoalInput(goal_metric, target, None if due == date.min else due))
    return areas, goals


@allowed(may_use_coaching)
@require_http_methods(["GET", "POST"])
def session_detail(request: HttpRequest, code: str) -> HttpResponse:
    session = _session(request, code)
    user = request.user
    coach = actions.coachable(user).filter(pk=session.agent_id).exists()
    error, checks = "", []
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "rate":
                scores = {}
                for aspect in actions.ASPECTS:
                    value = request.POST.get(aspect, "")
                    scores[aspect] = int(value) if value.isdigit() and len(value) == 1 else 0
                actions.rate(session, by=user, scores=scores,
                             comment=request.POST.get("comment", ""))  # fmt: skip
                done = "Thank you: your coach's figures include it (without your name)."
            elif action == "reflect":
                actions.reflect(session, by=user, text=request.POST.get("self_reflection", ""))
                done = "Your self-reflection is saved; your coach reads it."
            elif action == "sign":
                actions.sign(session, by=user)
                done = "Signed."
            elif action == "cancel" and coach:
                actions.cancel(session, by=user, reason=request.POST.get("reason", ""))
                done = "Cancelled; the agent is told."
            elif action == "reschedule" and coach:
                starts = timezone.make_aware(
                    datetime.fromisoformat(request.POST.get("starts_at", ""))
                )
                actions.reschedule(session, by=user, starts_at=starts,
                                   minutes=int(request.POST.get("minutes") or 0))  # fmt: skip
                done = "Moved; the agent has the new invitation."
            elif action == "record" and coach:
                areas, goals = _record_input(request.POST)
                try:
                    actions.save_record(
                        session, by=user, positives=request.POST.get("positives", ""),
                        areas=areas, support=request.POST.getlist("support"),
                        support_note=request.POST.get("support_note", ""), goals=goals,
                    )  # fmt: skip
                except CoachingError:  # each goal's letters, for the form to show
                    checks = [(g, actions.goal_checks(session, g, areas)) for g in goals]
                    raise
                done = "Saved; sign it when you and the agent agree."
            else:
                raise Http404("No such action")
        except (CoachingError, ValueError) as exc:
            error = str(exc)[:1].upper() + str(exc)[1:]
        else:
            messages.success(request, done)
            return redirect("coaching-session", session.code)
        session.refresh_from_db()
    catalogue = measure.goal_metrics()
    areas = list(session.areas.all())
    own_goals = list(session.goals.all())
    followed = not own_goals and session.follows is not None
    # A follow-up follows up the goals of the session it follows.
    goals = [
        actions.track(g, catalogue=catalogue)
        for g in (own_goals or (session.follows.goals.all() if session.follows else []))
    ]
    typed = request.POST if error else None

    def shown(name: str, saved: str) -> str:
        """What a field shows: what was typed when the form came back, else what is saved."""
        return str(typed.get(name, "")) if typed is not None else saved

    area_rows, goal_rows = [], []
    for i in range(1, ROWS + 1):
        a = areas[i - 1] if i <= len(areas) else None
        area_rows.append({
            "i": i,
            "metric": shown(f"area-{i}-metric", a.metric if a else ""),
            "note": shown(f"area-{i}-note", a.note if a else ""),
            "examples": shown(f"area-{i}-examples", " ".join(a.examples) if a else ""),
        })  # fmt: skip
        g = goals[i - 1].goal if i <= len(goals) else None
        goal_rows.append({
            "i": i,
            "metric": shown(f"goal-{i}-metric", g.metric if g else ""),
            "target": shown(f"goal-{i}-target", f"{g.target:g}" if g else ""),
            "due": shown(f"goal-{i}-due", g.due.isoformat() if g else ""),
        })  # fmt: skip
    by_metric = {(g.metric, g.target, g.due): c for g, c in checks}
    for row in goal_rows:
        try:
            key = (row["metric"], float(row["target"]), date.fromisoformat(row["due"]))
        except ValueError:
            key = None
        row["checks"] = by_metric.get(key, []) if error else []
    return render(
        request,
        "coaching/session.html",
        {
            "session": session,
            "coach": coach,
            "agent_view": user.pk == session.agent_id,
            "areas": [(a, catalogue.get(a.metric), _subjects(a.examples)) for a in areas],
            "goals": goals,
            "followed": followed,
            "catalogue": catalogue,
            "support_choices": actions.SUPPORT,
            "area_rows": area_rows,
            "goal_rows": goal_rows,
            "typed": typed,
            "error": error,
            "follow_ups": session.follow_ups.order_by("starts_at"),
            "effects": [
                (e, catalogue.get(e.metric))
                for e in measure.session_effects(session, catalogue=catalogue)
            ]
            if session.state in (Session.State.HELD, Session.State.SIGNED)
            else [],
            "window_days": measure.EFFECT_WINDOW.days,
            "rating": getattr(session, "rating", None)
            if user.pk == session.agent_id or user.role in ("manager", "admin")
            else None,
            "may_rate": user.pk == session.agent_id
            and session.state == Session.State.SIGNED
            and not hasattr(session, "rating"),
            "aspects": actions.ASPECTS,
            "may_sign": session.state in (Session.State.SCHEDULED, Session.State.HELD)
            and session.starts_at <= timezone.now()
            and bool(session.positives),
            "nav": "coaching",
        },
        status=400 if error else 200,
    )


@allowed(may_use_coaching)
@require_GET
def session_invite(request: HttpRequest, code: str) -> HttpResponse:
    session = _session(request, code)
    response = HttpResponse(invitation(session), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="coaching-{session.code}.ics"'
    return response


@allowed(may_use_coaching)
@require_GET
def session_report(request: HttpRequest, code: str) -> HttpResponse:
    """The written feedback report of a session (its record as a PDF)."""
    session = _session(request, code)
    response = HttpResponse(written_report(session), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="feedback-{session.code}.pdf"'
    return response


@allowed(may_use_coaching)
@require_http_methods(["GET", "POST"])
def library_list(request: HttpRequest) -> HttpResponse:
    """The peer learning library: shared examples, searchable by words and criterion; coaches
    nominate here."""
    user = request.user
    error = ""
    if request.method == "POST" and library.may_nominate(user):
        try:
            item = library.nominate(
                by=user, conversation_code=request.POST.get("conversation", ""),
                criteria=request.POST.getlist("criteria"), note=request.POST.get("note", ""),
            )  # fmt: skip
        except CoachingError as exc:
            error = str(exc)[:1].upper() + str(exc)[1:]
        else:
            messages.success(request, "Nominated; the agent is asked whether it may be shared.")
            return redirect("coaching-library-item", item.code)
    query = request.GET.get("q", "").strip()[:200]
    criterion = request.GET.get("criterion", "")
    names = Criterion.latest_names()
    return render(
        request,
        "coaching/library.html",
        {
            "items": [
                (item, [names.get(k, k) for k in item.criteria])
                for item in library.shared_for(user, query, criterion)[:200]
            ],
            "query": query,
            "criterion": criterion,
            "criteria": sorted(names.items(), key=lambda kv: kv[1]),
            "coach": library.may_nominate(user),
            "error": error,
            "typed": request.POST if error else {},
            "nav": "coaching",
        },
        status=400 if error else 200,
    )


@allowed(may_use_coaching)
@require_http_methods(["GET", "POST"])
def library_item(request: HttpRequest, code: str) -> HttpResponse:
    item = library.shared_for(request.user).filter(code=code).first()
    if item is None:
        raise Http404("No such example")
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("consent") == "withdraw":
                library.withdraw(item, by=request.user)
            else:
                library.answer(item, by=request.user,
                               consent=request.POST.get("consent") == "yes")  # fmt: skip
        except CoachingError as exc:
            error = str(exc)[:1].upper() + str(exc)[1:]
        else:
            messages.success(request, "Thank you; your answer is recorded.")
            return redirect("coaching-library-item", item.code)
    names = Criterion.latest_names()
    return render(
        request,
        "coaching/library_item.html",
        {
            "item": item,
            "tags": [names.get(k, k) for k in item.criteria],
            "asked": item.agent_id == request.user.pk and item.consent == "asked",
            "preview": library.anonymised(item.conversation)
            if item.agent_id == request.user.pk and item.consent == "asked"
            else [],
            "may_withdraw": item.agent_id == request.user.pk and item.consent == "given",
            "error": error,
            "nav": "coaching",
        },
        status=400 if error else 200,
    )
