from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "supportqa.reviews"
    label = "reviews"
