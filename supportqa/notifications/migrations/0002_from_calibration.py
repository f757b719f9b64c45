"""Calibration's invitations and reveals move into the one notification inbox."""

from django.db import migrations

from supportqa.codes import new_code


def move(apps, schema_editor):
    old = apps.get_model("calibration", "Notification")
    new = apps.get_model("notifications", "Notification")
    batch = []
    for note in old.objects.order_by("pk").iterator():
        kind = "calibration_invited" if "invited" in note.text else "calibration_revealed"
        batch.append(
            new(
                code=new_code(),
                user_id=note.user_id,
                kind=kind,
                text=note.text,
                link=note.link,
                delivery="off",  # never mailed: old news
                read_at=note.read_at,
            )
        )
    created = new.objects.bulk_create(batch, batch_size=1000)
    # auto_now_add set "now": keep each one's own time.
    for note, moved in zip(old.objects.order_by("pk"), created, strict=True):
        new.objects.filter(pk=moved.pk).update(created_at=note.created_at)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("calibration", "0001_initial"),
    ]

    operations = [migrations.RunPython(move, migrations.RunPython.noop)]
