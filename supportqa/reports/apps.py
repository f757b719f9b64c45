from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "supportqa.reports"
    label = "reports"
