from typing import Any

from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "supportqa.workflow"
    label = "workflow"
    verbose_name = "Request workflow"

    def ready(self) -> None:
        """The conversation page shows the conversation's request, or a way to start one."""
        from supportqa.reviews import workspace
        from supportqa.statements import ID, READS
        from supportqa.workflow.models import Request

        def panel(conversation: Any, lines: Any, read: Any) -> dict[str, Any]:
            found = READS.first(
                "workflow request",
                lambda slots: Request.objects.filter(conversation_id=slots("conversation", ID)),
                conversation=conversation.pk,
            )
            return {"workflow_request": found}

        workspace.add_panel(panel)

        # A survey answered on SupportQA's page is the customer's feedback (step 12).
        from supportqa.surveys.signals import survey_answered
        from supportqa.workflow.engine import take_survey_answer

        survey_answered.connect(take_survey_answer, dispatch_uid="workflow-survey-answer")
