"""Keeping personal data only as long as needed, and redacting what was imported unredacted.

Retention per kind of data (settings; 0 keeps it for ever), from cron by `supportqa retention`:
- messages: the text of messages in conversations created longer ago than
  SUPPORTQA_RETAIN_MESSAGES_DAYS becomes "[removed after N days]", their attachments and
  customers' names dropped;
- survey comments: comments and follow-up answers of answers older than
  SUPPORTQA_RETAIN_SURVEY_COMMENTS_DAYS are cleared;
- personal fields: customers with no conversation in SUPPORTQA_RETAIN_PERSONAL_DAYS lose their
  name and e-mail address, and social posts older than that their author.
Counts, scores, timestamps and links stay. Re-running changes nothing more.

`redact_conversations` runs the personal-data redactor (core.redact) over existing
conversations' messages and subjects: what importing with --redact does, afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

from supportqa.conversations.models import AuthorKind, Conversation, Customer, Message
from supportqa.core.redact import redact
from supportqa.social.models import Post
from supportqa.surveys.models import SurveyResponse

BATCH = 2000


@dataclass
class Retained:
    messages: int = 0
    survey_answers: int = 0
    customers: int = 0
    posts: int = 0


def apply_retention(now: datetime) -> Retained:
    done = Retained()
    days = settings.SUPPORTQA_RETAIN_MESSAGES_DAYS
    if days:
        removed = f"[removed after {days} days]"
        old = Message.objects.filter(conversation__created_at__lt=now - timedelta(days=days))
        done.messages = old.exclude(text=removed).update(text=removed, attachments=[])
        old.filter(author_kind=AuthorKind.CUSTOMER).exclude(author_name="").update(author_name="")
    days = settings.SUPPORTQA_RETAIN_SURVEY_COMMENTS_DAYS
    if days:
        answers = SurveyResponse.objects.filter(answered_at__lt=now - timedelta(days=days))
        done.survey_answers = answers.exclude(comment="", follow_up_answer="").update(
            comment="", follow_up_answer=""
        )
    days = settings.SUPPORTQA_RETAIN_PERSONAL_DAYS
    if days:
        cutoff = now - timedelta(days=days)
        recent = Conversation.objects.filter(customer=OuterRef("pk"), created_at__gte=cutoff)
        quiet = Customer.objects.exclude(Exists(recent)).exclude(name="", email="")
        done.customers = quiet.update(name="", email="")
        done.posts = Post.objects.filter(posted_at__lt=cutoff).exclude(author="").update(author="")
    return done


def redact_conversations(conversations: QuerySet[Conversation]) -> tuple[int, int]:
    """Redact these conversations' messages and subjects; returns (messages, subjects)
    changed. In batches, each its own transaction: an interrupted run is resumed by running
    it again (redacting redacted text changes nothing)."""
    messages = subjects = 0
    ids = list(conversations.values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        with transaction.atomic():
            for conversation in Conversation.objects.filter(pk__in=chunk).only("pk", "subject"):
                cleaned = redact(conversation.subject)
                if cleaned != conversation.subject:
                    Conversation.objects.filter(pk=conversation.pk).update(subject=cleaned)
                    subjects += 1
            changed = []
            for message in Message.objects.filter(conversation_id__in=chunk).only("pk", "text"):
                cleaned = redact(message.text)
                if cleaned != message.text:
                    message.text = cleaned
                    changed.append(message)
            Message.objects.bulk_update(changed, ["text"], batch_size=500)
            messages += len(changed)
    return messages, subjects
