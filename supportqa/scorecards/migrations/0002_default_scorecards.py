from django.db import migrations

from supportqa.scorecards.building import build_version
from supportqa.scorecards.defaults import DEFAULT_SCORECARDS

MODEL_NAMES = ("Scorecard", "ScorecardVersion", "Section", "Criterion", "RatingOption",
               "RootCauseOption")


def create_defaults(apps, schema_editor):
    models = {name: apps.get_model("scorecards", name) for name in MODEL_NAMES}
    for spec in DEFAULT_SCORECARDS:
        if models["Scorecard"].objects.filter(slug=spec["slug"]).exists():
            continue
        scorecard = models["Scorecard"].objects.create(
            slug=spec["slug"], name=spec["name"], description=spec["description"],
            priority=10 if spec["slug"] == "chat-quality" else 0,
        )
        build_version(models, scorecard, spec, number=1)


def remove_defaults(apps, schema_editor):
    slugs = [spec["slug"] for spec in DEFAULT_SCORECARDS]
    apps.get_model("scorecards", "Scorecard").objects.filter(slug__in=slugs).delete()


class Migration(migrations.Migration):
    dependencies = [("scorecards", "0001_initial")]
    operations = [migrations.RunPython(create_defaults, remove_defaults)]
