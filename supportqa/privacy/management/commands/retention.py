from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from supportqa.privacy.retention import apply_retention


class Command(BaseCommand):
    help = (
        "Apply the retention policy (run it daily from cron): message texts after "
        "SUPPORTQA_RETAIN_MESSAGES_DAYS, survey comments after "
        "SUPPORTQA_RETAIN_SURVEY_COMMENTS_DAYS, customers' names and addresses after "
        "SUPPORTQA_RETAIN_PERSONAL_DAYS without a conversation (0: kept for ever). Counts and "
        "scores stay. The requests' archive has its own: `supportqa archive expire`."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        done = apply_retention(timezone.now())
        self.stdout.write(
            f"{done.messages} message(s), {done.survey_answers} survey answer(s), "
            f"{done.customers} customer(s) and {done.posts} post(s) past retention"
        )
