from django.apps import AppConfig


class ServerConfig(AppConfig):
    """Serving SupportQA in production (`supportqa serve`)."""

    name = "supportqa.server"
    label = "server"
