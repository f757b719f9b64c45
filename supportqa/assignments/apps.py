from django.apps import AppConfig


class AssignmentsConfig(AppConfig):
    name = "supportqa.assignments"
    label = "assignments"
