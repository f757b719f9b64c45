"""A customer's right to erasure: their personal data removed everywhere, the figures kept.

What is erased (docs/privacy.md):
- the customer's name and e-mail address; their help-desk id becomes "erased-<code>";
- in their conversations: every message run through the personal-data redactor
  (core.redact) with their names and address replaced, customer authors' names and all
  attachments dropped, the subject likewise;
- their survey answers' comments and follow-up answers; the survey invitations mailed to them;
- their social posts' text and author;
- the archive bodies of their requests, and of any request whose archive mentions them (the
  hashes stay, so the chain still verifies); the survey comment step 12 kept;
- then a sweep of every text and JSON column, and the free-text CharFields
  (SWEPT_CHARFIELDS), of the database (review comments, notifications, workflow records,
  coaching notes, AutoQA explanations, other conversations' messages…) for their e-mail
  address, their id (five characters or more, not only digits) and their full name (two words
  or more), each as a whole word: "ann@x.com" never touches "joann@x.com". Ids, codes, hashes
  and passwords are never swept.
Kept: every count, score, timestamp and link, so dashboards, reviews and the audit log stay
what they were. The hash of their (source, id) is kept (`ErasedCustomer`): importing their
conversations again links them to the erased customer instead of creating one with their name
and address, and an unchanged record keeps its content hash, so its text is not written again.
Each erasure is audited with how many rows of each kind, never the values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from supportqa.accounts.models import User
from supportqa.audit.actions import record_event
from supportqa.conversations.models import (
    AuthorKind,
    Conversation,
    Customer,
    ErasedCustomer,
    Message,
)
from supportqa.core.redact import redact
from supportqa.notifications.models import Mail
from supportqa.social.models import Post
from supportqa.surveys.models import SurveyResponse
from supportqa.workflow.models import ArchiveRecord, StepRecord

ERASED = "[erased]"
SHORTEST = 5  # values shorter than this are not swept database-wide: they match too much
# Swept: every TextField and JSONField, and these free-text CharFields. Never ids, codes,
# hashes or passwords: a substring of one is not the customer.
SWEPT_CHARFIELDS = {
    "conversations.conversation": ("subject",),
    "conversations.message": ("author_name",),
    "notifications.notification": ("text", "mail_text"),
    "notifications.mail": ("subject", "to_address"),
    "social.post": ("author",),
    "surveys.followup": ("reasons",),
}
# Left out: the audit log (it records codes and counts, never personal data, and its chain
# must not change), the archive (its bodies are dropped, not edited: see `_archive`), and
# Django's own tables.
NOT_SWEPT = {
    "audit.auditevent",
    "workflow.archiverecord",
    "sessions.session",
    "contenttypes.contenttype",
    "auth.permission",
    "admin.logentry",
}


class ErasureError(ValueError):
    """The erasure was refused, with the reason to show."""


@dataclass
class Erased:
    customers: int = 0
    conversations: int = 0
    messages: int = 0
    survey_answers: int = 0
    mails: int = 0
    posts: int = 0
    archive_bodies: int = 0
    swept: int = 0  # other rows in which a value was replaced

    def add(self, other: Erased) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)


def customers_matching(
    *, customer_id: str = "", email: str = "", source: str = ""
) -> list[Customer]:
    """The customers an erasure request names: by help-desk id (in `source`, or in any) or
    by e-mail address (case ignored)."""
    if bool(customer_id.strip()) == bool(email.strip()):
        raise ErasureError("name the customer by their id or by their e-mail address, not both")
    if customer_id.strip():
        found = Customer.objects.filter(external_id=customer_id.strip())
        return list(found.filter(source=source.strip()) if source.strip() else found)
    return list(Customer.objects.filter(email__iexact=email.strip()))


def erase(*, customers: list[Customer], by: User | None) -> Erased:
    """Erase these customers' personal data, all of it or nothing; one audit event each."""
    if not customers:
        raise ErasureError("no customer with that id or address")
    total = Erased()
    with transaction.atomic():
        for customer in customers:
            one = _erase_one(customer)
            record_event(actor=by, action="customer.erased", obj=customer, data=asdict(one))
            total.add(one)
    return total


def _erase_one(customer: Customer) -> Erased:
    result = Erased()
    name, email, external_id = customer.name.strip(), customer.email.strip(), customer.external_id
    words = _pattern([name, email, external_id, *name.split()])  # in their own conversations
    conversations = Conversation.objects.filter(customer=customer)
    ids = list(conversations.values_list("pk", flat=True))
    codes = list(conversations.values_list("code", flat=True))
    for conversation in conversations.only("pk", "subject"):
        subject = _clean(conversation.subject, words)
        if subject != conversation.subject:
            Conversation.objects.filter(pk=conversation.pk).update(subject=subject)
    for message in Message.objects.filter(conversation_id__in=ids).only(
        "pk", "text", "author_kind", "author_name", "attachments"
    ):
        message.text = _clean(message.text, words)
        if message.author_kind == AuthorKind.CUSTOMER:
            message.author_name = ""
        message.attachments = []
        message.save(update_fields=["text", "author_name", "attachments"])
        result.messages += 1
    result.conversations = len(ids)
    result.survey_answers = SurveyResponse.objects.filter(conversation_id__in=ids).update(
        comment="", follow_up_answer=""
    )
    _forget_feedback(ids)
    if email:
        result.mails = Mail.objects.filter(to_address__iexact=email).update(
            to_address="", body=ERASED, subject=ERASED
        )
    result.posts = Post.objects.filter(customer=customer).update(text=ERASED, author="", url="")
    result.archive_bodies = _archive(ArchiveRecord.objects.filter(conversation_code__in=codes))
    ErasedCustomer.objects.get_or_create(
        key_sha256=ErasedCustomer.key(customer.source, external_id),
        defaults={"customer": customer},
    )
    Customer.objects.filter(pk=customer.pk).update(
        name="", email="", external_id=f"erased-{customer.code}"
    )
    result.customers = 1
    swept = [v for v in (email, external_id) if len(v) >= SHORTEST and not v.isdigit()]
    if len(name.split()) >= 2:  # a first name alone is other customers' too
        swept.append(name)
    result.swept = sweep(swept)
    result.archive_bodies += _archive(_mentioning(ArchiveRecord.objects.all(), "text", swept))
    return result


def _forget_feedback(conversation_ids: list[int]) -> None:
    """The customer's words the request workflow kept: step 12 copies the survey comment."""
    records = StepRecord.objects.filter(
        request__conversation_id__in=conversation_ids, step__key="customer-feedback"
    )
    for record in records.only("pk", "data"):
        if isinstance(record.data, dict) and record.data.get("comment"):
            StepRecord.objects.filter(pk=record.pk).update(data={**record.data, "comment": ""})


def _archive(records: QuerySet[ArchiveRecord]) -> int:
    """Drop archived bodies, keeping their hashes (the chain still verifies): what the
    retention policy does to old ones."""
    return records.filter(body__isnull=False).update(body=None, text="", expired_at=timezone.now())


def _mentioning(rows: QuerySet[Any], field: str, values: list[str]) -> QuerySet[Any]:
    found = Q(pk__in=[])
    for value in values:
        found |= Q(**{f"{field}__icontains": value})
    return rows.filter(found) if values else rows.none()


def _bounded(values: list[str]) -> str:
    """A regex of the values as whole words: not inside a longer name, address or id."""
    alternatives = "|".join(re.escape(v) for v in sorted(set(values), key=len, reverse=True))
    return rf"(?<![\w@.+-])(?:{alternatives})(?![\w@-])"


def _pattern(values: list[str]) -> re.Pattern[str] | None:
    wanted = [v.strip() for v in values if len(v.strip()) >= 2]
    return re.compile(_bounded(wanted), re.IGNORECASE) if wanted else None


def _clean(text: str, words: re.Pattern[str] | None) -> str:
    """A text with their names, address and id replaced, then every personal-data pattern."""
    if words is not None:
        text = words.sub(ERASED, text)
    return redact(text)


# --- the sweep ----------------------------------------------------------------------------------


def text_columns() -> Iterator[tuple[type[models.Model], list[models.Field[Any, Any]]]]:
    """Per model, its columns people's words can reach (SWEPT_CHARFIELDS, text, JSON)."""
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in NOT_SWEPT or not model._meta.managed:
            continue
        chars = SWEPT_CHARFIELDS.get(label, ())
        fields = [
            field
            for field in model._meta.concrete_fields
            if isinstance(field, models.JSONField | models.TextField) or field.name in chars
        ]
        if fields:
            yield model, fields


def sweep(values: list[str]) -> int:
    """Replace each value, as a whole word and case ignored, in every swept column (one scan
    per table; JSON also searched in its escaped form, as SQLite stores non-ASCII text);
    returns the rows changed."""
    if not values:
        return 0
    pattern = re.compile(_bounded(values), re.IGNORECASE)
    searched = {v for value in values for v in (value, json.dumps(value)[1:-1])}
    changed = 0
    for model, fields in text_columns():
        as_text = {
            f"swept_{field.name}": Cast(field.name, models.TextField())
            if isinstance(field, models.JSONField)
            else models.F(field.name)
            for field in fields
        }
        found = Q()
        for name in as_text:
            for value in searched:
                found |= Q(**{f"{name}__icontains": value})
        rows = model._default_manager.annotate(**as_text).filter(found)
        for row in rows.values("pk", *[field.name for field in fields]):
            updates = {
                field.name: replaced
                for field in fields
                if (replaced := _replace(row[field.name], pattern, field)) != row[field.name]
            }
            if updates:
                model._default_manager.filter(pk=row["pk"]).update(**updates)
                changed += 1
    return changed


def _replace(value: Any, pattern: re.Pattern[str], field: models.Field[Any, Any]) -> Any:
    if isinstance(value, str):
        out = pattern.sub(ERASED, value)
        limit = getattr(field, "max_length", None)
        return out[:limit] if limit else out
    if isinstance(value, list):
        return [_replace(v, pattern, field) for v in value]
    if isinstance(value, dict):
        return {k: _replace(v, pattern, field) for k, v in value.items()}
    return value
