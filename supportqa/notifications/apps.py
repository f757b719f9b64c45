from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "supportqa.notifications"
    label = "notifications"
