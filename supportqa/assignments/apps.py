from django.apps import AppConfig


class AssignmentsConfig(AppConfig):
    name = "supportqa.assignments"
    label = "assignments"

    def ready(self) -> None:
        from supportqa.assignments import actions  # noqa: F401 - connects link_review
