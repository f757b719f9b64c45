from django.db import migrations, models


def several_areas(apps, schema_editor):
    """Improvement areas: several may apply to one request."""
    apps.get_model("workflow", "TemplateStep").objects.filter(key="improvements").update(
        multiple=True
    )


class Migration(migrations.Migration):
    dependencies = [("workflow", "0002_default_template")]

    operations = [
        migrations.AddField(
            model_name="templatestep",
            name="multiple",
            field=models.BooleanField(default=False, help_text="Several answers may be picked."),
        ),
        migrations.RunPython(several_areas, migrations.RunPython.noop),
    ]
