"""Events of this app that higher apps act on (they connect in their AppConfig.ready)."""

from django.dispatch import Signal

# A customer answered a survey on SupportQA's page; sent inside the answer's transaction with
# `conversation`. The workflow completes a request waiting for the customer's feedback.
survey_answered = Signal()
