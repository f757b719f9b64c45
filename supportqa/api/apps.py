from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "supportqa.api"
    label = "api"
    verbose_name = "REST API and webhooks"

    def ready(self) -> None:
        from supportqa.api import webhooks

        webhooks.connect()
