"""A finding is found by review through its (review, detector) unique index, which leads
with the review: the review column's plain index went with every finding written (13 a
scored conversation) for no read. Dropped by name, found by introspection
(supportqa.schema.without_plain_index)."""

from django.db import migrations, models

from supportqa.schema import without_plain_index


class Migration(migrations.Migration):
    dependencies = [
        ("autoqa", "0011_rollup_sums_indexes"),
        ("reviews", "0009_ratings_by_review"),
    ]

    operations = [
        without_plain_index(
            migrations.AlterField(
                model_name="finding",
                name="review",
                field=models.ForeignKey(
                    db_index=False,
                    on_delete=models.deletion.CASCADE,
                    related_name="autoqa_findings",
                    to="reviews.review",
                ),
            ),
            "autoqa_finding",
            "review_id",
            "autoqa_finding_review_id_4f8a2d84",
        ),
    ]
