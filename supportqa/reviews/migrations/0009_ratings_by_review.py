"""A review's ratings are found through `rating_by_review` (review, criterion, is_na, score,
option), which also holds what the dashboards read of them (reviews.models.Rating says why);
the rating's plain review index goes, as the new index leads with the same column. Created
before the plain one is dropped, so deleting a review always finds its ratings by index.
Dropped by name, found by introspection (supportqa.schema.without_plain_index)."""

from django.db import migrations, models

from supportqa.schema import without_plain_index


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0013_sample_slot_index"),
        ("reviews", "0008_calibration_session_without_plain_index"),
        ("scorecards", "0006_scorecard_kind"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="rating",
            index=models.Index(
                fields=["review", "criterion", "is_na", "score", "option"],
                name="rating_by_review",
            ),
        ),
        without_plain_index(
            migrations.AlterField(
                model_name="rating",
                name="review",
                field=models.ForeignKey(
                    db_index=False,
                    on_delete=models.deletion.CASCADE,
                    related_name="ratings",
                    to="reviews.review",
                ),
            ),
            "reviews_rating",
            "review_id",
            "reviews_rating_review_id_c6eb3899",
        ),
    ]
