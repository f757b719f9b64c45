"""Outbound webhooks: events of the audit log, posted to the addresses admins subscribe.

Each event is queued (one Delivery per subscribed webhook) inside the transaction of the change
it tells of, so a change rolled back is never announced and a committed one always is. A
worker posts it, signed:

    X-SupportQA-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>

and retries a failure (no answer, or a status outside 2xx) after 1 min, 5 min, 30 min, 2 h
and 12 h (about 15 hours in all), then gives up; a paused webhook's deliveries wait. The
delivery log keeps each answer's status, and an admin can send a delivery again."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from supportqa import claims, outbound
from supportqa.api.models import Delivery, Webhook
from supportqa.audit.models import AuditEvent
from supportqa.audit.signals import event_recorded

EVENTS: dict[str, str] = {
    "review.submitted": "A review was submitted",
    "review.edited": "A submitted review was changed",
    "dispute.raised": "An agent disputed a review",
    "dispute.decided": "A dispute was decided",
    "survey.bad_score": "A customer answered a survey with a bad score",
    "workflow.waiting": "A request's step waits for a person (a gate or an action)",
    "import.finished": "An import finished",
}
BACKOFF = [timedelta(minutes=m) for m in (1, 5, 30, 120, 720)]
ATTEMPTS = len(BACKOFF) + 1
TIMEOUT = 10  # seconds for one delivery
API_DETAIL = {"review": "api-review", "calibrationsession": "api-calibration"}


def event_of(action: str) -> str | None:
    """The webhook event an audited action is, if any."""
    if action.startswith("import."):
        return "import.finished"
    return action if action in EVENTS else None


def new_secret() -> str:
    return secrets.token_hex(32)


def sign(secret: str, body: bytes, at: int) -> str:
    mac = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def verify(secret: str, body: bytes, header: str, *, tolerance: int = 300) -> bool:
    """What a receiver checks (docs/api.md shows the same in a few lines): the signature
    matches and was made within `tolerance` seconds."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        at = int(fields["t"])
    except (ValueError, KeyError):
        return False
    if abs(time.time() - at) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, body, at), f"t={at},v1={fields.get('v1', '')}")


def connect() -> None:
    event_recorded.connect(_queue, sender=AuditEvent, dispatch_uid="api.webhooks")


def _queue(sender: Any, event: AuditEvent, obj: Any, **_: Any) -> None:
    name = event_of(event.action)
    if name is None:
        return
    hooks = [h for h in Webhook.objects.all() if name in h.events]  # (paused: held)
    if not hooks:
        return
    payload = {
        "id": f"evt_{event.pk}",
        "event": name,
        "at": event.at.isoformat(),
        "actor": getattr(event.actor, "code", None),
        "object": {"type": event.object_type, "code": event.object_code,
                   "url": _api_url(event.object_type, event.object_code)},
        "data": event.data,
    }  # fmt: skip
    Delivery.objects.bulk_create(
        Delivery(webhook=hook, event=name, payload=payload) for hook in hooks
    )


def _api_url(kind: str, code: str) -> str | None:
    try:
        return reverse(API_DETAIL[kind], args=[code]) if kind in API_DETAIL else None
    except NoReverseMatch:
        return None


def redeliver(delivery: Delivery) -> Delivery:
    """The same event again, as a new delivery (the log keeps the first)."""
    return Delivery.objects.create(
        webhook=delivery.webhook, event=delivery.event, payload=delivery.payload
    )


def due() -> Q:
    """Deliveries to post now: waiting and due, or abandoned by a dead worker; never those of
    a paused webhook (they wait for it to resume)."""
    waiting = Q(status=Delivery.Status.PENDING, next_attempt_at__lte=timezone.now())
    return (waiting | claims.abandoned(Delivery)) & Q(webhook__active=True)


def deliver_due(worker: str, *, limit: int = 100, seconds: float = 60) -> int:
    """Post the deliveries that are due, one claimed at a time (a post takes at most TIMEOUT
    seconds, well within a claim's life, so no other worker posts it too), for at most
    `seconds` (a slow receiver must not hold up the worker's other work); returns how many
    were tried."""
    tried, started = 0, time.monotonic()
    while tried < limit and time.monotonic() - started < seconds:
        picked = claims.claim(Delivery.objects.filter(due()), worker, 1)
        if not picked:
            break
        _attempt(Delivery.objects.select_related("webhook").get(pk=picked[0]), worker)
        tried += 1
    return tried


def _attempt(delivery: Delivery, worker: str) -> None:
    code, error = _post(delivery)
    attempts = delivery.attempts + 1
    now = timezone.now()
    changes: dict[str, Any] = {
        "attempts": attempts,
        "response_code": code,
        "error": error[:500],
        "claimed_by": "",
        "claimed_at": None,
    }
    if code is not None and 200 <= code < 300:
        changes.update(status=Delivery.Status.DELIVERED, delivered_at=now, error="")
    elif attempts >= ATTEMPTS:
        changes.update(status=Delivery.Status.FAILED)
    else:
        changes.update(status=Delivery.Status.PENDING, next_attempt_at=now + BACKOFF[attempts - 1])
    with transaction.atomic():  # (only while the claim is still this worker's)
        Delivery.objects.filter(pk=delivery.pk, status=claims.RUNNING, claimed_by=worker).update(
            **changes
        )


def _post(delivery: Delivery) -> tuple[int | None, str]:
    """(status code, "" or what went wrong)."""
    hook = delivery.webhook
    body = json.dumps(delivery.payload, sort_keys=True).encode()
    private = settings.SUPPORTQA_WEBHOOKS_PRIVATE_ADDRESSES
    try:
        outbound.check_address(hook.url, allow_private=private, what="webhook's address")
    except (ValueError, OSError) as refused:
        return None, str(refused)
    request = urllib.request.Request(hook.url, data=body, method="POST", headers={
        "Content-Type": "application/json",
        "User-Agent": "SupportQA webhooks",
        "X-SupportQA-Event": delivery.event,
        "X-SupportQA-Delivery": delivery.code,
        "X-SupportQA-Signature": sign(hook.secret, body, int(time.time())),
    })  # fmt: skip
    try:
        with outbound.opener(allow_private=private, follow_redirects=False).open(
            request, timeout=TIMEOUT
        ) as response:
            return response.status, ""
    except urllib.error.HTTPError as answer:
        return answer.code, f"answered {answer.code} {answer.reason}"
    except (urllib.error.URLError, OSError, ValueError) as failure:
        return None, f"no answer: {getattr(failure, 'reason', failure)}"
