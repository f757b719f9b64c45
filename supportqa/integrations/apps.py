from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "supportqa.integrations"
    label = "integrations"
