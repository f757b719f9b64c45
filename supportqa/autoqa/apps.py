from typing import Any

from django.apps import AppConfig


class AutoQAConfig(AppConfig):
    name = "supportqa.autoqa"
    label = "autoqa"
    verbose_name = "AutoQA"

    def ready(self) -> None:
        """Plug AutoQA into the apps below it: it provides the service-level setting, queues
        written conversations, adds its panel to the review workspace and its daily rollups
        to the ones kept current, and gives the 360° view its sums from them."""
        from supportqa.autoqa import rollups as autoqa_rollups
        from supportqa.autoqa.display import panel
        from supportqa.autoqa.models import AutoQASettings
        from supportqa.autoqa.queue import queue_for_autoqa
        from supportqa.conversations import service_levels
        from supportqa.conversations.signals import conversations_written
        from supportqa.reports import rollups
        from supportqa.reviews import three_sixty, workspace
        from supportqa.reviews.models import Source

        service_levels.provide(lambda: AutoQASettings.current()[0])

        def queue(sender: Any, conversation_ids: Any, **_: Any) -> None:
            queue_for_autoqa(conversation_ids)

        conversations_written.connect(queue, weak=False, dispatch_uid="autoqa-queue")
        workspace.add_panel(panel)
        rollups.register(*autoqa_rollups.ROLLUPS)
        three_sixty.ROLLED[Source.AUTOQA] = autoqa_rollups.three_sixty_sums
