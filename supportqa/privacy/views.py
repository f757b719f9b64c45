"""The erasure page (admins): find the customer by id or e-mail address, see what will be
erased, confirm, see what was."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from supportqa.accounts.permissions import allowed, may_administer
from supportqa.conversations.models import Conversation, Message
from supportqa.privacy.erasure import ErasureError, customers_matching, erase
from supportqa.social.models import Post
from supportqa.surveys.models import SurveyResponse


@allowed(may_administer)
@require_http_methods(["GET", "POST"])
def erase_page(request: HttpRequest) -> HttpResponse:
    typed = {
        "customer_id": request.POST.get("customer_id", "").strip(),
        "email": request.POST.get("email", "").strip(),
    }
    context: dict[str, Any] = {"nav": "privacy", "typed": typed}
    status = 200
    if request.method == "POST":
        try:
            customers = customers_matching(**typed)
            if not customers:
                raise ErasureError("no customer with that id or address")
            if request.POST.get("action") == "erase":
                if request.POST.get("confirm") != "yes":
                    raise ErasureError("tick the box to confirm: erasure cannot be undone")
                context["erased"] = erase(customers=customers, by=request.user)
                context["typed"] = {}
            else:
                context["found"] = _what_is_there(customers)
        except ErasureError as refused:
            context["error"] = str(refused)
            status = 400
    return render(request, "privacy/erase.html", context, status=status)


def _what_is_there(customers: list[Any]) -> list[str]:
    conversations = Conversation.objects.filter(customer__in=customers)
    counts = (
        (len(customers), "customer"),
        (conversations.count(), "conversation"),
        (Message.objects.filter(conversation__in=conversations).count(), "message"),
        (SurveyResponse.objects.filter(conversation__in=conversations).count(), "survey answer"),
        (Post.objects.filter(customer__in=customers).count(), "social post"),
    )
    return [f"{n} {what}{'' if n == 1 else 's'}" for n, what in counts]
