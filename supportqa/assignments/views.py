from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from supportqa.accounts.access import get_in_scope
from supportqa.accounts.permissions import allowed, may_review, may_run_cycles
from supportqa.assignments.access import cycles_for, waiting_items
from supportqa.assignments.actions import create_cycle, run_cycle
from supportqa.assignments.forms import CycleForm, offered_reviewers
from supportqa.assignments.models import AssignmentItem


@allowed(may_review)
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """The reviewer's queue, and for programme owners the cycles that fill it."""
    user = request.user
    items = waiting_items(user).select_related("conversation__agent", "assignment__cycle")
    done = AssignmentItem.objects.filter(assignment__reviewer=user, review__isnull=False).count()
    return render(
        request,
        "assignments/queue.html",
        {
            "items": items,
            "done": done,
            "cycles": cycles_for(user) if may_run_cycles(user) else None,
        },
    )


@allowed(may_run_cycles)
@require_http_methods(["GET", "POST"])
def cycle_new(request: HttpRequest) -> HttpResponse:
    form = CycleForm(
        request.POST or None, user=request.user, reviewers=offered_reviewers(request.user)
    )
    if request.method == "POST" and form.is_valid():
        create_cycle(
            by=request.user,
            quotas=form.quotas(),
            **{k: v for k, v in form.cleaned_data.items() if not k.startswith("quota-")},
        )
        messages.success(
            request,
            "Cycle created. Run it now, or let `supportqa assignments run` run it when due.",
        )
        return redirect("queue")
    return render(
        request, "assignments/cycle_new.html", {"form": form}, status=400 if form.is_bound else 200
    )


@allowed(may_run_cycles)
@require_POST
def cycle_run(request: HttpRequest, code: str) -> HttpResponse:
    cycle = get_in_scope(cycles_for(request.user), code, "cycle")
    created = run_cycle(cycle=cycle, now=timezone.now(), by=request.user)
    count = sum(a.items.count() for a in created)
    messages.success(
        request,
        f"{cycle.name}: {count} conversations assigned to "
        f"{len(created)} reviewer{'s' if len(created) != 1 else ''}.",
    )
    return redirect("queue")
