from django.apps import AppConfig


class ScorecardsConfig(AppConfig):
    name = "supportqa.scorecards"
    label = "scorecards"
