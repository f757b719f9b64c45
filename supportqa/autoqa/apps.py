from django.apps import AppConfig


class AutoQAConfig(AppConfig):
    name = "supportqa.autoqa"
    label = "autoqa"
    verbose_name = "AutoQA"
