from django.apps import AppConfig


class CalibrationConfig(AppConfig):
    name = "supportqa.calibration"
    label = "calibration"
