"""Telling people: `notify` is the one function every event calls (inside its transaction, so
the notification and its mail commit with the event or not at all)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from supportqa.accounts.models import User
from supportqa.accounts.permissions import has_own_performance, may_review, may_shop
from supportqa.notifications.models import (
    DEFAULT_DELIVERY,
    ORG_WIDE_KINDS,
    REVIEWED_KINDS,
    REVIEWER_KINDS,
    SHOPPER_KINDS,
    Delivery,
    Kind,
    Mail,
    Notification,
    Preference,
)

_muted: ContextVar[bool] = ContextVar("notifications_muted", default=False)


@contextmanager
def muted() -> Iterator[None]:
    """Nobody is told of what happens inside (the demo's weeks of history)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def deliveries(users: list[User], kind: str) -> dict[int, str]:
    """How each person wants this kind delivered: their choice, else the kind's default."""
    chosen = dict(
        Preference.objects.filter(user__in=users, kind=kind).values_list("user_id", "delivery")
    )
    return {u.pk: chosen.get(u.pk, DEFAULT_DELIVERY[kind]) for u in users}


def kinds_for(user: User) -> list[Kind]:
    """The kinds this person can receive, in the order of `Kind` (their settings page)."""
    wanted = set(REVIEWED_KINDS if has_own_performance(user) else ())
    wanted |= set(REVIEWER_KINDS if may_review(user) else ())
    wanted |= set(SHOPPER_KINDS if may_shop(user) else ())
    wanted |= set(ORG_WIDE_KINDS if user.is_org_wide else ())
    return [kind for kind in Kind if kind in wanted]


def choices_of(user: User) -> dict[str, str]:
    """A person's delivery of each kind they can receive."""
    chosen = dict(user.notification_choices.values_list("kind", "delivery"))
    return {kind: chosen.get(kind, DEFAULT_DELIVERY[kind]) for kind in kinds_for(user)}


def notify(
    *,
    users: Iterable[User],
    kind: Kind,
    text: str,
    link: str,
    actor: User | None = None,
    mail_text: str = "",
    attachment: tuple[str, bytes] | None = None,
) -> list[Notification]:
    """Tell each person once: never the actor, never an inactive account. Mails for those who
    want them at once are queued for the worker; digest ones wait for `notify digest`.
    `mail_text`: what mails say instead of `text` when it quotes customers' words (a
    conversation's subject): e-mail leaves the installation. `attachment`: (file name, bytes)
    sent with the mails (a calendar invitation)."""
    if _muted.get():
        return []
    recipients = {u.pk: u for u in users if u.is_active and (actor is None or u.pk != actor.pk)}
    if not recipients:
        return []
    chosen = deliveries(list(recipients.values()), kind)
    notes = [
        Notification(
            user=user,
            kind=kind,
            text=text[:300],
            mail_text=mail_text[:300],
            link=link,
            actor=actor,
            delivery=chosen[pk],
        )
        for pk, user in recipients.items()
    ]
    name, content = attachment or ("", None)
    mails = {
        n.code: Mail(user=n.user, next_attempt_at=timezone.now(), attachment_name=name,
                     attachment=content, **message_for(n))
        for n in notes
        if n.delivery == Delivery.IMMEDIATELY
    }  # fmt: skip
    Mail.objects.bulk_create(mails.values())
    for note in notes:
        note.mail = mails.get(note.code)
    return Notification.objects.bulk_create(notes)


def absolute(path: str) -> str:
    return settings.SUPPORTQA_BASE_URL.rstrip("/") + path


def _footer() -> str:
    return (
        "\n\n-- \nSupportQA. Choose what is mailed to you, and when: "
        + absolute(reverse("notification-settings"))
        + "\n"
    )


def _opening(note: Notification) -> str:
    """The link in a mail that opens the notification (and marks it read)."""
    return absolute(reverse("notification-open", args=[note.code]))


def message_for(note: Notification) -> dict[str, str]:
    """The mail of one notification: its text and a link that opens it. Nothing else: the
    text says only what the recipient may see in the app."""
    return {
        "subject": f"[SupportQA] {note.mailed_text}"[:200],
        "body": f"{note.mailed_text}\n\nOpen it in SupportQA: {_opening(note)}{_footer()}",
    }


def digest_for(notes: list[Notification]) -> dict[str, str]:
    lines = [f"- {n.mailed_text}\n  {_opening(n)}" for n in notes]
    what = "1 new notification" if len(notes) == 1 else f"{len(notes)} new notifications"
    return {
        "subject": f"[SupportQA] Your daily digest: {what}",
        "body": "What happened since your last digest:\n\n" + "\n".join(lines) + _footer(),
    }


def build_digests() -> int:
    """One digest mail per person with unread digest notifications not mailed yet. Safe to
    re-run and to run twice at once: each notification joins exactly one digest."""
    pending = Notification.objects.filter(
        delivery=Delivery.DIGEST, mail__isnull=True, read_at__isnull=True
    )
    people = sorted(set(pending.values_list("user_id", flat=True)))
    return sum(_digest(pending.filter(user_id=pk), pk) for pk in people)


def _digest(pending: QuerySet[Notification], user_id: int) -> int:
    with transaction.atomic():
        mail = Mail.objects.create(
            user_id=user_id, subject="", body="", next_attempt_at=timezone.now()
        )
        # The conditional update decides which notifications are this digest's: a digest
        # built at the same time finds them taken and is dropped.
        pending.update(mail=mail)
        notes = list(mail.notifications.order_by("created_at", "id"))
        if not notes:
            mail.delete()
            return 0
        message = digest_for(notes)
        mail.subject, mail.body = message["subject"], message["body"]
        mail.save(update_fields=["subject", "body"])
    return 1


def read(notes: QuerySet[Notification]) -> int:
    """Mark these notifications read (those still unread); returns how many. Opening one,
    "mark all read", seeing the page one points to and a settled request all come here."""
    return notes.filter(read_at__isnull=True).update(read_at=timezone.now())


def mark_read(note: Notification) -> None:
    read(Notification.objects.filter(pk=note.pk))


def settle(*, kind: Kind, link: str) -> int:
    """Everyone's unread notifications of this kind about this page are read: what they asked
    for has been done (a dispute decided)."""
    return read(Notification.objects.filter(kind=kind, link=link))


def mark_all_read(user: User) -> int:
    return read(Notification.objects.filter(user=user))


def choose_deliveries(*, user: User, choices: dict[str, str]) -> None:
    """Store a person's delivery per kind (the kind's default is stored as no choice)."""
    with transaction.atomic():
        Preference.objects.filter(user=user, kind__in=choices).delete()
        Preference.objects.bulk_create(
            Preference(user=user, kind=kind, delivery=delivery)
            for kind, delivery in choices.items()
            if delivery != DEFAULT_DELIVERY[kind]
        )
