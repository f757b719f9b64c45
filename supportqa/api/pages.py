"""The API's pages: a person's tokens (Account → API tokens) and, for admins, the outbound
webhooks with their delivery log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from supportqa.accounts.permissions import allowed, may_administer, signed_in
from supportqa.api import tokens, webhooks
from supportqa.api.models import ApiToken, Delivery, Webhook
from supportqa.audit.actions import record_event
from supportqa.outbound import check_address

# Session keys: a new token, or a new webhook's secret, until the page after the form.
SHOW_TOKEN, SHOW_SECRET = "api.new_token", "api.new_webhook_secret"
LIVES = [(7, "7 days"), (30, "30 days"), (90, "90 days"), (180, "180 days"), (366, "a year")]


@allowed(signed_in)
@require_http_methods(["GET", "POST"])
def token_page(request: HttpRequest) -> HttpResponse:
    """Make a token (shown once, on the answer to the form), list one's tokens, revoke one."""
    user = request.user
    context: dict[str, Any] = {"nav": "account", "lives": LIVES, "typed": {}}
    status = 200
    if request.POST.get("action") == "revoke":
        token = get_object_or_404(ApiToken, user=user, code=request.POST.get("token", ""))
        if tokens.revoke(token, user):
            messages.success(request, f"Token “{token.name}” ({token.prefix}…) revoked.")
        return redirect("api-tokens")
    if request.POST.get("action") == "make":
        scopes = request.POST.getlist("scopes")
        context["typed"] = {"name": request.POST.get("name", ""), "scopes": scopes,
                            "days": request.POST.get("days", "")}  # fmt: skip
        try:
            days = int(request.POST.get("days", ""))
        except ValueError:
            days = 0
        try:
            made = tokens.make(user=user, name=request.POST.get("name", ""), scopes=scopes,
                               days=days)  # fmt: skip
        except tokens.TokenRefused as refused:
            context["error"] = str(refused)
            status = 400
        else:  # shown by the page the browser is sent to, once (a reload makes no other)
            request.session[SHOW_TOKEN] = {"code": made.token.code, "secret": made.secret}
            return redirect(reverse("api-tokens") + "#made-head")
    shown = request.session.pop(SHOW_TOKEN, None)
    if shown:
        context["made"] = {"token": ApiToken.objects.filter(user=user, code=shown["code"]).first(),
                           "secret": shown["secret"]}  # fmt: skip
    context["tokens"] = ApiToken.objects.filter(user=user)
    readable, writable = usable(user)
    context["resources"] = [
        (name, label, f"{name}:read", f"{name}:write" if name in writable else "")
        for name, label in tokens.RESOURCES.items()
        if name in readable
    ]
    return render(request, "api/tokens.html", context, status=status)


def usable(user: Any) -> tuple[set[str], set[str]]:
    """The kinds of data this person's token could read and write: what the endpoints' own
    checks (the pages') let them, so the form offers nothing a token could not use."""
    from supportqa.api.urls import urlpatterns

    readable, writable = set(), set()
    for pattern in urlpatterns:
        view = getattr(pattern.callback, "view_class", None)
        resource = getattr(view, "resource", "")
        if not resource:
            continue
        if view.capability(user):
            readable.add(resource)
        if getattr(view, "write_capability", None) and view.write_capability(user):
            writable.add(resource)
    return readable, writable


@allowed(may_administer)
@require_http_methods(["GET", "POST"])
def webhook_list(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {"nav": "webhooks", "events": webhooks.EVENTS, "typed": {}}
    status = 200
    if request.method == "POST":
        url = request.POST.get("url", "").strip()
        events = [e for e in request.POST.getlist("events") if e in webhooks.EVENTS]
        context["typed"] = {"url": url, "events": events}
        problem = _webhook_problem(url, events)
        if problem:
            context["error"], status = problem, 400
        else:
            with transaction.atomic():
                hook = Webhook.objects.create(url=url, events=events, created_by=request.user,
                                              secret=webhooks.new_secret())  # fmt: skip
                record_event(actor=request.user, action="webhook.created", obj=hook,
                             data={"url": url, "events": events})  # fmt: skip
            request.session[SHOW_SECRET] = {"code": hook.code, "secret": hook.secret}
            return redirect(reverse("webhook-list") + "#made-head")
    shown = request.session.pop(SHOW_SECRET, None)
    if shown:
        context["made"] = {"hook": Webhook.objects.filter(code=shown["code"]).first(),
                           "secret": shown["secret"]}  # fmt: skip
    context["webhooks"] = Webhook.objects.all()
    return render(request, "api/webhooks.html", context, status=status)


def _webhook_problem(url: str, events: list[str]) -> str:
    if not events:
        return "choose at least one event"
    if len(url) > 500:
        return "the address is longer than 500 characters"
    try:
        check_address(url, allow_private=settings.SUPPORTQA_WEBHOOKS_PRIVATE_ADDRESSES,
                      what="webhook's address")  # fmt: skip
    except (ValueError, OSError) as refused:
        return str(refused)
    return ""


@allowed(may_administer)
@require_http_methods(["GET", "POST"])
def webhook_detail(request: HttpRequest, code: str) -> HttpResponse:
    hook = get_object_or_404(Webhook, code=code)
    action = request.POST.get("action")
    if action == "redeliver":
        original = get_object_or_404(Delivery, webhook=hook, code=request.POST.get("delivery"))
        webhooks.redeliver(original)
        later = "" if hook.active else ": it is sent when the webhook is resumed"
        messages.success(request, f"{original.event} queued again{later}.")
        return redirect("webhook-detail", code=hook.code)
    if action in ("pause", "resume"):
        with transaction.atomic():
            Webhook.objects.filter(pk=hook.pk).update(active=action == "resume")
            record_event(actor=request.user, action=f"webhook.{action}d", obj=hook)
        messages.success(request, "Deliveries resumed." if action == "resume" else
                         "Paused: events are kept and sent when it is resumed.")  # fmt: skip
        return redirect("webhook-detail", code=hook.code)
    if action == "secret":
        secret = webhooks.new_secret()
        with transaction.atomic():
            Webhook.objects.filter(pk=hook.pk).update(secret=secret)
            record_event(actor=request.user, action="webhook.secret_renewed", obj=hook)
        request.session[SHOW_SECRET] = {"code": hook.code, "secret": secret}
        return redirect("webhook-detail", code=hook.code)
    if action == "delete":
        with transaction.atomic():
            record_event(actor=request.user, action="webhook.deleted", obj=hook,
                         data={"url": hook.url})  # fmt: skip
            hook.delete()
        messages.success(request, f"Webhook {hook.url} deleted with its delivery log.")
        return redirect("webhook-list")
    shown = request.session.pop(SHOW_SECRET, None)
    deliveries = hook.deliveries.all()[:200]
    return render(request, "api/webhook.html", {
        "nav": "webhooks", "hook": hook, "deliveries": deliveries, "events": webhooks.EVENTS,
        "new_secret": shown["secret"] if shown and shown["code"] == hook.code else "",
    })  # fmt: skip
