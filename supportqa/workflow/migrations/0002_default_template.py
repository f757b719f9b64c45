from django.db import migrations

from supportqa.workflow.defaults import DEFAULT_TEMPLATE, build_template


def create(apps, schema_editor):
    models = {name: apps.get_model("workflow", name) for name in ("Template", "TemplateStep")}
    if not models["Template"].objects.filter(name=DEFAULT_TEMPLATE["name"]).exists():
        build_template(models, DEFAULT_TEMPLATE, default=True)


def remove(apps, schema_editor):
    apps.get_model("workflow", "Template").objects.filter(name=DEFAULT_TEMPLATE["name"]).delete()


class Migration(migrations.Migration):
    dependencies = [("workflow", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]
