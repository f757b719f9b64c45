from django.apps import AppConfig


class ShoppingConfig(AppConfig):
    name = "supportqa.shopping"
    label = "shopping"
    verbose_name = "Mystery shopping"
