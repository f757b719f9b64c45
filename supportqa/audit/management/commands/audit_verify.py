from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from supportqa.audit.actions import verify_chain
from supportqa.audit.checks import CHECKS
from supportqa.audit.models import AuditEvent


class Command(BaseCommand):
    help = (
        "Check the audit log's hash chain, then every registered integrity check (every "
        "submitted review's stored score is the score its ratings give); exits non-zero on the "
        "first altered event or any problem."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        broken = verify_chain()
        if broken is not None:
            raise CommandError(f"audit event {broken} does not match its hash: the log was altered")
        self.stdout.write(f"audit log intact: {AuditEvent.objects.count()} events")
        problems = 0
        for subject, check in CHECKS:
            found = check()
            for line in found[:20]:
                self.stdout.write(line)
            problems += len(found)
            self.stdout.write(f"{subject}: {len(found) or 'no'} problems")
        if problems:
            raise CommandError(f"{problems} problems found")
