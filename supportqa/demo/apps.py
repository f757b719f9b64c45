from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "supportqa.demo"
    label = "demo"
