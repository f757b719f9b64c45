from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "supportqa.audit"
    label = "audit"
