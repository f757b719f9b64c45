"""A customer's right to erasure: their personal data removed everywhere, the figures kept.

What is erased (docs/privacy.md):
- the customer's name and e-mail address; their help-desk id becomes "erased-<code>";
- in their conversations: every message run through the personal-data redactor
  (core.redact) with their names and address replaced, customer authors' names and all
  attachments dropped, the subject likewise;
- their survey answers' comments and follow-up answers; the survey invitations mailed to them;
- their social posts' text and author;
- the archive bodies of their requests (the hashes stay, so the chain still verifies);
- then a sweep of every other text and JSON column of the database (review comments,
  notifications, workflow records, coaching notes, AutoQA explanations…) for their full name,
  e-mail address and help-desk id, each replaced by "[erased]".
Kept: every count, score, timestamp and link, so dashboards, reviews and the audit log stay
what they were. Conversations keep their content hash: a re-import of the same help-desk
record is "unchanged" and does not bring the data back. The erasure is audited with what was
erased how many times, never the values themselves.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Cast

from supportqa.accounts.models import User
from supportqa.audit.actions import record_event
from supportqa.conversations.models import AuthorKind, Conversation, Customer, Message
from supportqa.core.redact import redact
from supportqa.notifications.models import Mail
from supportqa.social.models import Post
from supportqa.surveys.models import SurveyResponse
from supportqa.workflow.models import ArchiveRecord

ERASED = "[erased]"
SHORTEST = 5  # values shorter than this are not swept database-wide: they match too much
# The sweep leaves out: the messages (erased conversation by conversation above; other
# customers' conversations are theirs), the audit log (it records codes, never personal
# data, and its chain must not change), and tables that hold no text people wrote.
NOT_SWEPT = {
    "conversations.message",
    "audit.auditevent",
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


def customers_matching(*, customer_id: str = "", email: str = "") -> list[Customer]:
    """The customers an erasure request names: by help-desk id (in any source) or e-mail
    address (case ignored)."""
    if bool(customer_id.strip()) == bool(email.strip()):
        raise ErasureError("name the customer by their id or by their e-mail address, not both")
    if customer_id.strip():
        return list(Customer.objects.filter(external_id=customer_id.strip()))
    return list(Customer.objects.filter(email__iexact=email.strip()))


def erase(*, customers: list[Customer], by: User | None) -> Erased:
    """Erase these customers' personal data, all of it or nothing."""
    if not customers:
        raise ErasureError("no customer with that id or address")
    result = Erased()
    with transaction.atomic():
        for customer in customers:
            _erase_one(customer, result)
            record_event(actor=by, action="customer.erased", obj=customer, data=asdict(result))
    return result


def _erase_one(customer: Customer, result: Erased) -> None:
    values = [v for v in (customer.name, customer.email, customer.external_id) if v.strip()]
    words = _pattern(values + customer.name.split())  # in their own conversations, each name
    conversations = Conversation.objects.filter(customer=customer)
    ids = list(conversations.values_list("pk", flat=True))
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
    result.conversations += len(ids)
    result.survey_answers += SurveyResponse.objects.filter(conversation_id__in=ids).update(
        comment="", follow_up_answer=""
    )
    if customer.email.strip():
        result.mails += Mail.objects.filter(to_address__iexact=customer.email.strip()).update(
            to_address="", body=ERASED, subject=ERASED
        )
    result.posts += Post.objects.filter(customer=customer).update(text=ERASED, author="", url="")
    result.archive_bodies += ArchiveRecord.objects.filter(
        conversation_code__in=conversations.values("code"), body__isnull=False
    ).update(body=None, text="")
    Customer.objects.filter(pk=customer.pk).update(
        name="", email="", external_id=f"erased-{customer.code}"
    )
    result.customers += 1
    result.swept += sweep([v for v in values if len(v.strip()) >= SHORTEST])


def _pattern(values: list[str]) -> re.Pattern[str] | None:
    wanted = sorted({v.strip() for v in values if len(v.strip()) >= 2}, key=len, reverse=True)
    if not wanted:
        return None
    return re.compile("|".join(rf"\b{re.escape(v)}\b" for v in wanted), re.IGNORECASE)


def _clean(text: str, words: re.Pattern[str] | None) -> str:
    """A text with their names and address replaced, then every personal-data pattern."""
    if words is not None:
        text = words.sub(ERASED, text)
    return redact(text)


# --- the sweep ----------------------------------------------------------------------------------


def text_columns() -> Iterator[tuple[type[models.Model], list[models.Field[Any, Any]]]]:
    """Per model, its text and JSON columns that people's words can reach."""
    for model in apps.get_models():
        if model._meta.label_lower in NOT_SWEPT or not model._meta.managed:
            continue
        fields = [
            field
            for field in model._meta.concrete_fields
            if isinstance(field, models.JSONField | models.TextField)
            or (isinstance(field, models.CharField) and not field.choices)
        ]
        if fields:
            yield model, fields


def sweep(values: list[str]) -> int:
    """Replace each value (case ignored) in every swept column, one scan per table; returns
    the rows changed."""
    if not values:
        return 0
    pattern = re.compile("|".join(re.escape(v) for v in values), re.IGNORECASE)
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
            for value in values:
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
