from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "supportqa.reviews"
    label = "reviews"

    def ready(self) -> None:
        from supportqa.audit.checks import register
        from supportqa.reviews.models import score_drift

        register("review scores", score_drift)
