from django.apps import AppConfig


class SocialConfig(AppConfig):
    name = "supportqa.social"
    label = "social"
    verbose_name = "Social media monitoring"
