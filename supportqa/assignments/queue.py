"""Where a reviewer stands in their queue at a conversation (the review workspace's "Submit
and next" and its link back to the queue)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from supportqa.assignments.access import waiting_items
from supportqa.conversations.models import Conversation
from supportqa.reviews.workspace import QueueSpot


def queue_spot(user: Any, conversation: Conversation) -> QueueSpot | None:
    """None unless the conversation waits in the person's queue."""
    waiting = waiting_items(user)
    if not waiting.filter(conversation=conversation).exists():
        return None
    following = (
        waiting.exclude(conversation=conversation)
        .values_list("conversation__code", flat=True)
        .first()
    )
    return QueueSpot(
        next_url=reverse("conversation-detail", args=[following]) if following else None,
        left=waiting.count(),
        queue_url=reverse("queue"),
    )
