from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "supportqa.accounts"
    label = "accounts"

    def ready(self) -> None:
        from supportqa.accounts import signals, two_factor  # noqa: F401 - connect receivers
