from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "supportqa.conversations"
    label = "conversations"
