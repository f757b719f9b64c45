"""AutoQA's criterion and detector day rows are read by day through indexes that also hold
their sums (autoqa.models), which replace the plain day indexes; created first."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("autoqa", "0010_job_to_do_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="autoqacriterionday",
            index=models.Index(
                fields=["day", "criterion_key", "ratings", "score_sum", "score_sq", "agent"],
                name="autoqa_criterion_day_sums",
            ),
        ),
        migrations.AddIndex(
            model_name="autoqadetectorday",
            index=models.Index(
                fields=["day", "detector", "findings", "hit", "partial", "miss", "na", "agent"],
                name="autoqa_detector_day_sums",
            ),
        ),
        migrations.RemoveIndex(
            model_name="autoqacriterionday",
            name="autoqa_auto_day_0019e9_idx",
        ),
        migrations.RemoveIndex(
            model_name="autoqadetectorday",
            name="autoqa_auto_day_05d06e_idx",
        ),
    ]
