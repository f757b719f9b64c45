from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from supportqa.audit.actions import verify_chain
from supportqa.audit.models import AuditEvent
from supportqa.reviews.models import Review


class Command(BaseCommand):
    help = (
        "Check the audit log's hash chain and that every submitted review's stored score is "
        "the score its ratings give; exits non-zero on the first altered event or any drift."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        broken = verify_chain()
        if broken is not None:
            raise CommandError(f"audit event {broken} does not match its hash: the log was altered")
        self.stdout.write(f"audit log intact: {AuditEvent.objects.count()} events")
        drifted = Review.objects.drifted()
        for review, score in drifted[:20]:
            self.stdout.write(
                f"review {review.code}: stored {review.final_score} (raw {review.raw_score}), "
                f"its ratings give {score.final} (raw {score.raw})"
            )
        if drifted:
            raise CommandError(f"{len(drifted)} reviews' scores differ from their ratings")
        self.stdout.write(f"review scores match their ratings: {Review.objects.scored().count()}")
