from django.apps import AppConfig


class AssignmentsConfig(AppConfig):
    name = "supportqa.assignments"
    label = "assignments"

    def ready(self) -> None:
        from supportqa.assignments import actions  # noqa: F401 - connects link_review
        from supportqa.assignments.queue import queue_spot
        from supportqa.reviews.workspace import add_queue

        add_queue(queue_spot)
