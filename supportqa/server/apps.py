from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ServerConfig(AppConfig):
    """Serving SupportQA in production (`supportqa serve`)."""

    name = "supportqa.server"
    label = "server"

    def ready(self) -> None:
        from supportqa import configured

        post_migrate.connect(configured.after_migrate, sender=self, dispatch_uid="configured")
