"""Step 1's scores for a conversation: urgency and complexity with their reasons
(`core.intake`), from the customer's words, their history, the tags and the service levels."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Avg
from django.utils import timezone

from supportqa.conversations import service_levels
from supportqa.conversations.categorize import request_text
from supportqa.conversations.models import Conversation
from supportqa.core import intake

# A category whose conversations take this many times the average to resolve is "complex".
SLOW_CATEGORY = 1.5
HISTORY = timedelta(days=90)


def scores(conversation: Conversation) -> dict[str, Any]:
    """{"urgency": {...}, "complexity": {...}}, each with score, level and reasons."""
    text = request_text(conversation)
    repeat = _repeat_contact(conversation)
    target, _ = service_levels.current().reply_targets(conversation.channel)
    waited = (timezone.now() - conversation.created_at).total_seconds()
    at_risk = conversation.first_response_at is None and bool(target) and waited > (target or 0)
    vip = any(str(tag).lower() == "vip" for tag in conversation.tags or [])
    urgent = intake.urgency(text, repeat_contact=repeat, vip=vip, sla_at_risk=at_risk)
    complex_ = intake.complexity(
        text, category_weight=_category_weight(conversation),
        category=conversation.category.name if conversation.category else "",
    )  # fmt: skip
    return {
        "urgency": {"score": urgent.score, "level": urgent.level, "reasons": urgent.reasons},
        "complexity": {
            "score": complex_.score, "level": complex_.level, "reasons": complex_.reasons
        },
    }  # fmt: skip


def _repeat_contact(conversation: Conversation) -> bool:
    """FCR's rule (PRODUCT.md §5), read from the other side: the customer's previous
    conversation in the category was followed by this one within SUPPORTQA_FCR_DAYS of its
    resolution (its `repeat_contact_seconds`, which the write path keeps current)."""
    if conversation.customer_id is None:
        return False
    previous = (
        Conversation.objects.filter(
            customer_id=conversation.customer_id,
            category_id=conversation.category_id,
            created_at__lt=conversation.created_at,
        )
        .order_by("-created_at")
        .values_list("repeat_contact_seconds", flat=True)
        .first()
    )
    return previous is not None and previous <= settings.SUPPORTQA_FCR_DAYS * 86400


def _category_weight(conversation: Conversation) -> int:
    """20 when the category's conversations of the last 90 days took SLOW_CATEGORY times the
    average of all to resolve."""
    if conversation.category_id is None:
        return 0
    recent = Conversation.objects.filter(
        created_at__gte=conversation.created_at - HISTORY,
        created_at__lt=conversation.created_at,
        resolution_seconds__isnull=False,
    )
    overall = recent.aggregate(mean=Avg("resolution_seconds"))["mean"]
    mine = recent.filter(category_id=conversation.category_id).aggregate(
        mean=Avg("resolution_seconds")
    )["mean"]
    return 20 if overall and mine and mine >= SLOW_CATEGORY * overall else 0
