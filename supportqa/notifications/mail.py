"""Sending the outbox: workers claim queued mails (safe with several workers), send each
through Django's e-mail backend and retry a failure with back-off."""

from __future__ import annotations

import mimetypes
import smtplib
from datetime import timedelta

from django.core.mail import EmailMessage, get_connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from supportqa.claims import RUNNING, abandoned, claim
from supportqa.notifications.models import Mail

BATCH = 50
ATTEMPTS = 6  # then failed: retried after 1, 2, 4, 8 and 16 minutes


def send_queued(worker: str) -> int:
    """Send every mail that is due; returns how many were handled (sent, skipped or failed)."""
    handled = 0
    while batch := claim(_due(), worker, BATCH):
        handled += len(batch)
        connection = get_connection()  # one SMTP session for the batch, opened on first use
        try:
            for mail in Mail.objects.filter(pk__in=batch).select_related("user"):
                _send(mail, connection, worker)
        finally:
            connection.close()
    return handled


def _due() -> QuerySet[Mail]:
    queued = Q(status=Mail.Status.QUEUED, next_attempt_at__lte=timezone.now())
    return Mail.objects.filter(queued | abandoned(Mail))


def _send(mail: Mail, connection: object, worker: str) -> None:
    if mail.user is None:  # a customer's survey invitation
        address, reason = mail.to_address.strip(), "no address"
    else:
        address = mail.user.email.strip() if mail.user.is_active else ""
        reason = "the account has no e-mail address" if mail.user.is_active else "inactive"
    if not address:
        _finish(mail, worker, status=Mail.Status.SKIPPED, error=reason)
        return
    message = EmailMessage(mail.subject, mail.body, to=[address], connection=connection)
    if mail.attachment_name and mail.attachment is not None:
        kind = mimetypes.guess_type(mail.attachment_name)[0] or "application/octet-stream"
        message.attach(mail.attachment_name, bytes(mail.attachment), kind)
    try:
        message.send()
    except (OSError, smtplib.SMTPException) as error:
        _retry(mail, worker, f"{type(error).__name__}: {error}")
    except ValueError as error:  # an address or header no mail can carry: trying again won't
        _finish(mail, worker, status=Mail.Status.FAILED, error=f"not sendable: {error}"[:500])
    else:
        _finish(mail, worker, status=Mail.Status.SENT, sent_at=timezone.now(), error="")


def _retry(mail: Mail, worker: str, error: str) -> None:
    attempts = mail.attempts + 1
    if attempts >= ATTEMPTS:
        _finish(mail, worker, status=Mail.Status.FAILED, attempts=attempts, error=error[:500])
        return
    _finish(
        mail,
        worker,
        status=Mail.Status.QUEUED,
        attempts=attempts,
        error=error[:500],
        next_attempt_at=timezone.now() + timedelta(minutes=2 ** (attempts - 1)),
    )


def _finish(mail: Mail, worker: str, **fields: object) -> None:
    """Only the worker holding the claim records the outcome (a taken-over claim is not)."""
    Mail.objects.filter(pk=mail.pk, status=RUNNING, claimed_by=worker).update(
        claimed_by="", claimed_at=None, **fields
    )
