from django.apps import AppConfig


class CoachingConfig(AppConfig):
    name = "supportqa.coaching"
    label = "coaching"
    verbose_name = "Coaching"
