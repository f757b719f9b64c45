from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "supportqa.surveys"
    label = "surveys"
