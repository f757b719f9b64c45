from django.apps import AppConfig


class HomeConfig(AppConfig):
    name = "supportqa.home"
    label = "home"
