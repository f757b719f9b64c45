from django.db import migrations

OLD = ("Language, politeness and empathy, accuracy, guidelines, resolution: the response-check "
       "scorecard (AutoQA pre-fills it).")
NEW = ("Language, politeness and empathy, accuracy, guidelines, resolution: your review of the "
       "conversation with its scorecard (AutoQA's ratings pre-fill it).")


def reword(apps, schema_editor):
    apps.get_model("workflow", "TemplateStep").objects.filter(key="monitor", help=OLD).update(
        help=NEW
    )


class Migration(migrations.Migration):
    dependencies = [("workflow", "0005_archive_text")]
    operations = [migrations.RunPython(reword, migrations.RunPython.noop)]
