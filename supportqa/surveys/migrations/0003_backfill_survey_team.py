from django.db import migrations
from django.db.models import OuterRef, Subquery


def backfill(apps, schema_editor):
    Conversation = apps.get_model("conversations", "Conversation")
    for name in ("SurveySent", "SurveyResponse"):
        owner = Conversation.objects.filter(pk=OuterRef("conversation_id"))
        apps.get_model("surveys", name).objects.update(
            team_id=Subquery(owner.values("team_id")[:1]),
            agent_id=Subquery(owner.values("agent_id")[:1]),
        )


class Migration(migrations.Migration):
    dependencies = [("surveys", "0002_survey_team"), ("conversations", "0003_durations_and_repeat_contacts")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
