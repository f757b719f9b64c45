"""The peer learning library (PRODUCT.md §3.8.6): excellent interactions nominated by coaches,
shared with agents only after the agent consents, anonymised — the people's names and the
personal data the redaction finds are removed before anyone else reads it."""

from __future__ import annotations

import re

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from supportqa.accounts.models import Role, User
from supportqa.accounts.permissions import may_coach
from supportqa.audit.actions import record_event
from supportqa.coaching.actions import CoachingError, coachable
from supportqa.coaching.models import LibraryItem
from supportqa.conversations.access import conversations_for
from supportqa.conversations.models import Conversation
from supportqa.core.redact import redact
from supportqa.core.scoring import passed
from supportqa.notifications.actions import notify
from supportqa.notifications.models import Kind
from supportqa.scorecards.models import Criterion


def nominate(*, by: User, conversation_code: str, criteria: list[str], note: str) -> LibraryItem:
    """A coach nominates a conversation of an agent they coach, or a QA reviewer one they may
    see (reviewers are invited to contribute examples); the agent is asked."""
    if not may_nominate(by):
        raise CoachingError("coaches and QA reviewers nominate examples")
    candidates = (
        conversations_for(by) if by.role == Role.QA
        else Conversation.objects.filter(agent__in=coachable(by))
    )  # fmt: skip
    conversation = candidates.filter(code=conversation_code.strip()).select_related("agent").first()
    if conversation is None or conversation.agent is None:
        raise CoachingError("choose a conversation of an agent you coach or review (its code)")
    _check_excellent(conversation)
    known = set(Criterion.latest_names())
    if not criteria or set(criteria) - known:
        raise CoachingError("tag it with the criteria it shows well")
    if not note.strip():
        raise CoachingError("say what makes it excellent")
    with transaction.atomic():
        item, made = LibraryItem.objects.get_or_create(
            conversation=conversation,
            defaults={"agent": conversation.agent, "nominated_by": by, "criteria": criteria,
                      "note": note.strip()},
        )  # fmt: skip
        if not made:
            raise CoachingError("this conversation is already in the library")
        record_event(actor=by, action="library.nominated", obj=item, data={"criteria": criteria})
        notify(users=[conversation.agent], kind=Kind.COACHING_SESSION, actor=by,
               text=f"{by.name} would like to share one of your conversations as an example "
                    "for your colleagues (anonymised). Do you agree?",
               link=f"/coaching/library/{item.code}/")  # fmt: skip
    return item


def _check_excellent(conversation: Conversation) -> None:
    """An example is a conversation a review passed: the library teaches what scored well."""
    reviews = list(
        conversation.reviews.filter(submitted_at__isnull=False, final_score__isnull=False)
        .select_related("scorecard_version")
        .order_by("-final_score")
    )
    if not reviews:
        raise CoachingError("review the conversation first: the library shares what scored well")
    best = reviews[0]
    if not passed(best.final_score, best.scorecard_version.pass_threshold):
        raise CoachingError(
            f"its best review scored {best.final_score:.0f}%, under the pass mark of "
            f"{best.scorecard_version.pass_threshold:.0f}%: nominate a conversation that "
            "scored well"
        )


def may_nominate(user: User) -> bool:
    return may_coach(user) or (user.is_active and user.role == Role.QA)


def answer(item: LibraryItem, *, by: User, consent: bool) -> LibraryItem:
    """The agent consents (the anonymised transcript is made and shared) or declines."""
    if by.pk != item.agent_id:
        raise CoachingError("only the agent of the conversation decides whether it is shared")
    with transaction.atomic():
        locked = LibraryItem.objects.select_for_update().get(pk=item.pk)
        if locked.consent != LibraryItem.Consent.ASKED:
            raise CoachingError(f"already answered: {locked.get_consent_display().lower()}")
        locked.consent = LibraryItem.Consent.GIVEN if consent else LibraryItem.Consent.REFUSED
        locked.answered_at = timezone.now()
        locked.transcript = anonymised(locked.conversation) if consent else []
        if consent:  # the note is the example's public title: no names in it either
            locked.note = _scrubbed(locked.note, _names(locked.conversation))
        locked.text = "\n".join(line["text"] for line in locked.transcript)
        locked.save(update_fields=["consent", "answered_at", "transcript", "text", "note"])
        record_event(actor=by, action="library.answered", obj=locked, data={"consent": consent})
    return locked


def _names(conversation: Conversation) -> set[str]:
    """The words of the people's names in the conversation (agent, customer, authors)."""
    names = set()
    people = [conversation.agent.name if conversation.agent else ""]
    if conversation.customer is not None:
        people.append(conversation.customer.name)
    people += list(conversation.messages.values_list("author_name", flat=True))
    for person in people:
        names |= {w for w in re.findall(r"[^\W\d_]{2,}", person or "")}
    return names


def _scrubbed(text: str, names: set[str]) -> str:
    """The text with personal data redacted and the names as [NAME]."""
    text = redact(text)
    if names:
        words = "|".join(sorted(map(re.escape, names), key=len, reverse=True))
        text = re.sub(r"\b(" + words + r")\b", "[NAME]", text, flags=re.IGNORECASE)
    return text


def anonymised(conversation: Conversation) -> list[dict[str, str]]:
    """The transcript with the people's names as [NAME] and personal data redacted."""
    names = _names(conversation)
    return [
        {"who": message.get_author_kind_display(), "text": _scrubbed(message.text, names)}
        for message in conversation.messages.order_by("seq")
    ]


def withdraw(item: LibraryItem, *, by: User) -> LibraryItem:
    """The agent takes their consent back: the example leaves the library at once."""
    if by.pk != item.agent_id:
        raise CoachingError("only the agent of the conversation withdraws it")
    with transaction.atomic():
        locked = LibraryItem.objects.select_for_update().get(pk=item.pk)
        if locked.consent != LibraryItem.Consent.GIVEN:
            raise CoachingError("it is not shared")
        locked.consent, locked.transcript, locked.text = LibraryItem.Consent.REFUSED, [], ""
        locked.answered_at = timezone.now()
        locked.save(update_fields=["consent", "transcript", "text", "answered_at"])
        record_event(actor=by, action="library.withdrawn", obj=locked, data={})
    return locked


def asked_of(user: User) -> QuerySet[LibraryItem]:
    """The nominations waiting for this agent's answer."""
    return LibraryItem.objects.filter(agent=user, consent=LibraryItem.Consent.ASKED)


def shared_for(user: User, query: str = "", criterion: str = "") -> QuerySet[LibraryItem]:
    """What the person may read: every shared item; coaches also their own nominations;
    agents also what is asked of them."""
    seen = Q(consent=LibraryItem.Consent.GIVEN) | Q(agent=user) | Q(nominated_by=user)
    items = LibraryItem.objects.filter(seen)
    if criterion:
        items = (
            items.filter(criteria__contains=[criterion])
            if _json_contains()
            else items.filter(criteria__icontains=f'"{criterion}"')
        )
    if query:
        items = items.filter(Q(note__icontains=query) | Q(transcript__icontains=query))
    return items


def _json_contains() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"
