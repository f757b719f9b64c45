"""Social media pages: trends on control charts with their alerts, the posts to triage, a
post's triage and link; and the webhook that receives posts (HMAC-signed, no session)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from supportqa.accounts.permissions import allowed, anyone, may_monitor_social
from supportqa.core.intervals import wilson
from supportqa.reports.charts import control_chart
from supportqa.social import actions, trends
from supportqa.social.access import get_post_for_user, posts_for
from supportqa.social.ingest import ingest, parse
from supportqa.social.models import Alert, Feed, Post

SHOWN = {"complaints": Q(complaint=True), "negative": Q(negative=True), "all": Q()}


@allowed(may_monitor_social)
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The last eight weeks: daily posts, negative share and complaints on control charts,
    the recent alerts, the feeds' state and the posts to triage (complaints first)."""
    yesterday = timezone.localdate() - timedelta(days=1)  # today is not over: not a point yet
    days = trends.daily(yesterday - timedelta(days=trends.WINDOW_DAYS - 1), yesterday)
    watched = trends.watched(days)
    show = request.GET.get("show", "complaints")
    show = show if show in SHOWN else "complaints"
    posts = posts_for(request.user)
    day = _day(request.GET.get("day", ""))
    listed = posts.filter(SHOWN[show])
    if day is not None:  # a UTC day, as the charts and alerts count them
        start = datetime.combine(day, time(), UTC)
        listed = listed.filter(posted_at__gte=start, posted_at__lt=start + timedelta(days=1))
    else:
        listed = listed.filter(triage=Post.Triage.NEW)
    totals = posts.filter(posted_at__gte=timezone.now() - timedelta(days=28)).aggregate(
        n=Count("pk"), neg=Count("pk", filter=Q(negative=True)),
        bad=Count("pk", filter=Q(complaint=True)),
    )  # fmt: skip
    context = {
        "nav": "social",
        "watched": [(w, control_chart(w) if w.chart else None) for w in watched],
        "alerts": Alert.objects.all()[:10],
        "feeds": Feed.objects.all(),
        "show": show,
        "day": day,
        "posts": listed.select_related("category", "conversation")[:50],
        "totals": totals,
        "negative_share": wilson(totals["neg"], totals["n"]).scaled(100),
        "complaint_share": wilson(totals["bad"], totals["n"]).scaled(100),
        "control_rules": settings.SUPPORTQA_CONTROL_RULES.replace("-", " ").title(),
    }
    return render(request, "social/home.html", context)


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


@allowed(may_monitor_social)
@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, code: str) -> HttpResponse:
    post = get_post_for_user(request.user, code)
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "link":
                actions.link(post=post, by=request.user,
                             conversation_code=request.POST.get("conversation", ""))  # fmt: skip
                messages.success(request, "Post linked to the conversation.")
            else:
                actions.triage(post=post, by=request.user,
                               outcome=request.POST.get("outcome", ""),
                               reply=request.POST.get("reply", ""))  # fmt: skip
                messages.success(request, "Triage recorded.")
        except actions.TriageError as refused:
            error = str(refused)
        else:
            return redirect("social-post", code=post.code)
    return render(
        request,
        "social/post.html",
        {
            "nav": "social",
            "post": post,
            "error": error,
            "posted": request.POST if error else {},
        },  # fmt: skip
        status=400 if error else 200,
    )


@allowed(anyone)
@login_not_required
@csrf_exempt
@require_POST
def webhook(request: HttpRequest) -> HttpResponse:
    """Posts pushed by a monitoring service: a JSON Lines body of posts (the JSONL import's
    fields), signed with HMAC-SHA256 of the body under SUPPORTQA_SOCIAL_WEBHOOK_SECRET in the
    header X-SupportQA-Signature ("sha256=<hex>"). No secret set: the endpoint does not exist.
    Answers what was created and the rows refused, each with its line, field and reason."""
    secret = settings.SUPPORTQA_SOCIAL_WEBHOOK_SECRET
    if not secret:
        raise Http404("No such page")
    expected = "sha256=" + hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    given = request.headers.get("X-SupportQA-Signature", "")
    if not hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace")):
        return JsonResponse({"error": "the signature does not match the body"}, status=401)
    result = ingest(parse(request.body, "jsonl", "webhook"))
    trends.check_alerts(timezone.localdate())
    errors = [{"line": e.line, "field": e.field, "reason": e.reason} for e in result.errors]
    return JsonResponse(
        {"created": result.created, "unchanged": result.unchanged, "errors": errors},
        status=200 if not errors or result.created or result.unchanged else 400,
    )
