"""What the conversations app tells the apps built on it, so that it imports none of them."""

from django.dispatch import Signal

# Sent by `conversations_changed` inside the writing transaction with `conversation_ids`:
# AutoQA queues them (autoqa.apps).
conversations_written = Signal()
