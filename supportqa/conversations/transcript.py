from __future__ import annotations

from dataclasses import dataclass

from supportqa.conversations import service_levels
from supportqa.conversations.models import AuthorKind, Conversation, Message
from supportqa.core.autoqa import Turn, reply_waits
from supportqa.core.sentiment import Trajectory, label, sentiment
from supportqa.statements import ID, READS


@dataclass
class Line:
    message: Message
    gap_seconds: float | None  # since the previous message
    waited: bool  # an agent reply that kept the customer waiting longer than the target
    sentiment: float | None = None  # customer messages only

    @property
    def mood(self) -> str:
        return "" if self.sentiment is None else label(self.sentiment)


def customer_trajectory(lines: list[Line]) -> Trajectory | None:
    scores = [line.sentiment for line in lines if line.sentiment is not None]
    return Trajectory(scores[0], scores[-1], min(scores)) if scores else None


def transcript(conversation: Conversation) -> list[Line]:
    """The messages with their gaps, sentiment and slow replies: a reply is slow when the
    customer waited longer than the channel's target (the service-level setting that AutoQA's
    response-time detector uses too, so the flags and its rating agree)."""
    messages = READS.read(
        "transcript",
        lambda slots: (
            Message.objects.filter(conversation_id=slots("conversation", ID))
            .select_related("author")
            .order_by("seq")
        ),
        conversation=conversation.pk,
    )
    for message in messages:  # as `conversation.messages` gives them
        Message.conversation.field.set_cached_value(message, conversation)
    first, later = service_levels.current().reply_targets(conversation.channel)
    slow: set[int] = set()
    if first and later:
        turns = [Turn(m.author_kind, m.text, m.sent_at) for m in messages]
        slow = {
            index for index, waited, target in reply_waits(turns, first, later) if waited > target
        }
    lines: list[Line] = []
    for index, message in enumerate(messages):
        previous = messages[index - 1] if index else None
        gap = None if previous is None else (message.sent_at - previous.sent_at).total_seconds()
        mood = sentiment(message.text) if message.author_kind == AuthorKind.CUSTOMER else None
        lines.append(Line(message, gap, index in slow, mood))
    return lines
