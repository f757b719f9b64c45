"""Version 2 of the default chat rubric: "Meets Expectations" is worth 80, not 50, so that an
agent who meets every expectation reaches the 80% pass mark. Reviews keep the version they
were made with. An installation that already changed the rubric keeps its own versions."""

from django.db import migrations

from supportqa.scorecards.building import build_version
from supportqa.scorecards.defaults import CHAT_RUBRIC, CHAT_RUBRIC_V1

MODEL_NAMES = ("Scorecard", "ScorecardVersion", "Section", "Criterion", "RatingOption",
               "RootCauseOption")


def _values(version):
    return sorted(
        (c.key, o.label, o.value)
        for c in version.sections.get().criteria.all()
        for o in c.options.all()
    )


def _spec_values(spec):
    return sorted(
        (c["key"], o["label"], o["value"])
        for c in spec["sections"][0]["criteria"]
        for o in c["options"]
    )


def add_version_2(apps, schema_editor):
    models = {name: apps.get_model("scorecards", name) for name in MODEL_NAMES}
    scorecard = models["Scorecard"].objects.filter(slug=CHAT_RUBRIC["slug"]).first()
    if scorecard is None:
        return
    versions = list(scorecard.versions.order_by("number"))
    untouched = len(versions) == 1 and _values(versions[0]) == _spec_values(CHAT_RUBRIC_V1)
    if untouched:
        scorecard.description = CHAT_RUBRIC["description"]
        scorecard.save(update_fields=["description"])
        build_version(models, scorecard, CHAT_RUBRIC, number=2)


def remove_version_2(apps, schema_editor):
    versions = apps.get_model("scorecards", "ScorecardVersion").objects
    versions.filter(scorecard__slug=CHAT_RUBRIC["slug"], number=2, reviews__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("scorecards", "0003_pass_threshold_default_from_settings")]
    operations = [migrations.RunPython(add_version_2, remove_version_2)]
