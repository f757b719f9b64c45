from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "supportqa.accounts"
    label = "accounts"

    def ready(self) -> None:
        from supportqa.accounts import signals  # noqa: F401 - connects the receivers
