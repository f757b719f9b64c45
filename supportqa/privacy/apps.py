from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "supportqa.privacy"
    label = "privacy"
    verbose_name = "Privacy: erasure, retention, redaction"
