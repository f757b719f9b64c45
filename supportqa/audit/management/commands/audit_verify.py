from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from supportqa.audit.actions import verify_chain
from supportqa.audit.models import AuditEvent


class Command(BaseCommand):
    help = "Check the audit log's hash chain; exits non-zero at the first altered event."

    def handle(self, *args: Any, **options: Any) -> None:
        broken = verify_chain()
        if broken is not None:
            raise CommandError(f"audit event {broken} does not match its hash: the log was altered")
        self.stdout.write(f"audit log intact: {AuditEvent.objects.count()} events")
