"""Triage of a post: the reply given (or no action), and a link to a conversation by hand."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from supportqa.accounts.models import User
from supportqa.audit.actions import record_event
from supportqa.conversations.access import conversations_for
from supportqa.social.models import Post


class TriageError(Exception):
    """A triage refused, with the reason to show."""


def triage(*, post: Post, by: User, outcome: str, reply: str) -> Post:
    """Record the reply given to a post (outcome "replied", the reply required) or that it
    needs none; once decided it can be decided again (a later reply), always audited."""
    if outcome not in (Post.Triage.REPLIED, Post.Triage.NO_ACTION):
        raise TriageError("choose: replied, or no action needed")
    if outcome == Post.Triage.REPLIED and not reply.strip():
        raise TriageError("write the reply that was posted")
    with transaction.atomic():
        locked = Post.objects.select_for_update().get(pk=post.pk)
        locked.triage, locked.reply = outcome, reply.strip()
        locked.triaged_by, locked.triaged_at = by, timezone.now()
        locked.save(update_fields=["triage", "reply", "triaged_by", "triaged_at"])
        record_event(actor=by, action="social.triaged", obj=locked, data={"outcome": outcome})
    return locked


def link(*, post: Post, by: User, conversation_code: str) -> Post:
    """Link a post to a conversation the person may see (and so to its customer)."""
    conversation = conversations_for(by).filter(code=conversation_code.strip()).first()
    if conversation is None:
        raise TriageError("no conversation with that code that you may see")
    with transaction.atomic():
        locked = Post.objects.select_for_update().get(pk=post.pk)
        locked.conversation = conversation
        locked.customer_id = conversation.customer_id or locked.customer_id
        locked.linked_by = by.name
        locked.save(update_fields=["conversation", "customer", "linked_by"])
        record_event(actor=by, action="social.linked", obj=locked,
                     data={"conversation": conversation.code})  # fmt: skip
    return locked
