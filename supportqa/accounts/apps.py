from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "supportqa.accounts"
    label = "accounts"
