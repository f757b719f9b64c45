from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "supportqa.reports"
    label = "reports"

    def ready(self) -> None:
        from supportqa.reports import durations  # noqa: F401  (registers its companion rows)
