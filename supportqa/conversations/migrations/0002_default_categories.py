from django.db import migrations

from supportqa.codes import new_code
from supportqa.scorecards.defaults import DEFAULT_CATEGORIES


def create_categories(apps, schema_editor):
    Category = apps.get_model("conversations", "Category")
    for position, name in enumerate(DEFAULT_CATEGORIES):
        Category.objects.get_or_create(name=name, defaults={"position": position,
                                                            "code": new_code()})


def remove_categories(apps, schema_editor):
    apps.get_model("conversations", "Category").objects.filter(name__in=DEFAULT_CATEGORIES).delete()


class Migration(migrations.Migration):
    dependencies = [("conversations", "0001_initial")]
    operations = [migrations.RunPython(create_categories, remove_categories)]
