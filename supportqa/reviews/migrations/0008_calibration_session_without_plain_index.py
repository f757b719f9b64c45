"""The reviews' calibration session loses its plain index (reviews.models.Review says why);
the partial unique index one_calibration_review_each still finds a session's reviews.
Dropped by name, found by introspection (supportqa.schema.without_plain_index)."""

from django.db import migrations, models

from supportqa.schema import without_plain_index


class Migration(migrations.Migration):
    dependencies = [
        ("calibration", "0001_initial"),
        ("reviews", "0007_reviewee_source_index"),
    ]

    operations = [
        without_plain_index(
            migrations.AlterField(
                model_name="review",
                name="calibration_session",
                field=models.ForeignKey(
                    blank=True,
                    db_index=False,
                    null=True,
                    on_delete=models.deletion.CASCADE,
                    related_name="reviews",
                    to="calibration.calibrationsession",
                ),
            ),
            "reviews_review",
            "calibration_session_id",
            "reviews_review_calibration_session_id_cf1485e3",
        )
    ]
