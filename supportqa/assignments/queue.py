"""Where a reviewer stands in their queue at a conversation (the review workspace's "Submit
and next" and its link back to the queue)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from supportqa.accounts.access import count_in_scope, read_in_scope
from supportqa.assignments.access import queue_left, waiting_items
from supportqa.conversations.models import Conversation
from supportqa.reviews.workspace import QueueSpot
from supportqa.statements import ID


def queue_spot(user: Any, conversation: Conversation) -> QueueSpot | None:
    """None unless the conversation waits in the person's queue."""
    here = {"conversation": conversation.pk}
    if not count_in_scope(
        user,
        "queue: this conversation",
        lambda slots: (
            waiting_items(user).filter(conversation_id=slots("conversation", ID)).values("pk")
        ),
        **here,
    ):
        return None
    following = read_in_scope(
        user,
        "queue: the next",
        lambda slots: (
            waiting_items(user)
            .exclude(conversation_id=slots("conversation", ID))
            .values_list("conversation__code", flat=True)[:1]
        ),
        **here,
    )
    return QueueSpot(
        next_url=reverse("conversation-detail", args=following) if following else None,
        left=queue_left(user),
        queue_url=reverse("queue"),
    )
