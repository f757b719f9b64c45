from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "supportqa.reports"
    label = "reports"

    def ready(self) -> None:
        from django.core.signals import request_started

        from supportqa.reports import (
            durations,  # noqa: F401  (registers its companion rows)
            rollups,
        )

        request_started.connect(rollups.forget, dispatch_uid="supportqa-rollups-forget")
