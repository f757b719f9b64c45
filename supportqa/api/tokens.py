"""API tokens: made, checked and revoked here only.

A token reads `sqa_<prefix>_<secret>`: the prefix names it in lists and in the audit log, the
whole string is the credential. Only its SHA-256 is stored; it is shown once, when made."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from supportqa.accounts.models import User
from supportqa.api.models import ApiToken
from supportqa.audit.actions import record_event

# What a token may be allowed, resource by resource. Writing is offered where the API writes.
RESOURCES: dict[str, str] = {
    "conversations": "Conversations and their messages",
    "surveys": "Survey answers",
    "people": "People and teams",
    "scorecards": "Scorecards",
    "reviews": "Reviews",
    "disputes": "Disputes",
    "calibration": "Calibration sessions and results",
    "assignments": "Review assignments",
    "kpis": "Agents' and teams' KPIs",
    "autoqa": "AutoQA findings",
    "requests": "Quality-control requests",
    "coaching": "Coaching sessions (schedule and sign-off)",
}
WRITABLE = ("conversations", "reviews")
SCOPES: tuple[str, ...] = tuple(
    [f"{resource}:read" for resource in RESOURCES] + [f"{r}:write" for r in WRITABLE]
)
LONGEST_LIFE = timedelta(days=366)
USE_RECORDED_EVERY = timedelta(seconds=60)  # last-used time: at most one write a minute


class TokenRefused(Exception):
    pass


@dataclass(frozen=True)
class Made:
    token: ApiToken
    secret: str  # the whole token: shown to its owner once, never stored


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def make(*, user: User, name: str, scopes: list[str], days: int) -> Made:
    """A new token for `user` (who must not be an anonymous or inactive account) allowed
    `scopes`, valid `days` days (1 to 366)."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise TokenRefused(f"unknown scopes: {', '.join(unknown)}")
    if not scopes:
        raise TokenRefused("choose at least one thing the token may do")
    if not 1 <= days <= LONGEST_LIFE.days:
        raise TokenRefused(f"a token lives 1 to {LONGEST_LIFE.days} days")
    prefix = secrets.token_hex(4)
    secret = f"sqa_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name.strip()[:100] or "API token", prefix=prefix,
            digest=digest(secret), scopes=[s for s in SCOPES if s in scopes],
            expires_at=timezone.now() + timedelta(days=days),
        )  # fmt: skip
        record_event(actor=user, action="api_token.created", obj=token,
                     data={"prefix": prefix, "scopes": token.scopes, "days": days})  # fmt: skip
    return Made(token, secret)


def revoke(token: ApiToken, by: User) -> bool:
    with transaction.atomic():
        done = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if done:
            record_event(actor=by, action="api_token.revoked", obj=token,
                         data={"prefix": token.prefix})  # fmt: skip
    return bool(done)


def check(presented: str, address: str = "") -> ApiToken:
    """The live token `presented` is, with its user; raises TokenRefused otherwise. Records
    the use (count, and time and address at most once a minute)."""
    parts = presented.split("_", 2)
    if len(parts) != 3 or parts[0] != "sqa":
        raise TokenRefused("not a SupportQA API token")
    token = ApiToken.objects.select_related("user").filter(prefix=parts[1]).first()
    if token is None or not hmac.compare_digest(token.digest, digest(presented)):
        raise TokenRefused("unknown token")
    if token.revoked_at is not None:
        raise TokenRefused("this token was revoked")
    now = timezone.now()
    if token.expires_at <= now:
        raise TokenRefused("this token has expired")
    if not token.user.is_active:
        raise TokenRefused("this token's account is deactivated")
    changes: dict[str, object] = {"uses": F("uses") + 1}
    if token.last_used_at is None or now - token.last_used_at >= USE_RECORDED_EVERY:
        changes.update(last_used_at=now, last_used_from=address[:45])
    ApiToken.objects.filter(pk=token.pk).update(**changes)
    return token


def allows(token: ApiToken, resource: str, write: bool) -> bool:
    return f"{resource}:{'write' if write else 'read'}" in token.scopes
