from __future__ import annotations

from dataclasses import dataclass

from supportqa.conversations.models import AuthorKind, Channel, Conversation, Message
from supportqa.core.sentiment import Trajectory, label, sentiment

# How long a customer may wait for a reply before the gap is flagged, per channel (seconds).
SLOW_REPLY_SECONDS = {
    Channel.CHAT: 120,
    Channel.SOCIAL: 3600,
    Channel.PHONE: 60,
    Channel.EMAIL: 8 * 3600,
    Channel.OTHER: 3600,
}


@dataclass
class Line:
    message: Message
    gap_seconds: float | None  # since the previous message
    waited: bool  # an agent reply that kept the customer waiting too long
    sentiment: float | None = None  # customer messages only

    @property
    def mood(self) -> str:
        return "" if self.sentiment is None else label(self.sentiment)


def customer_trajectory(lines: list[Line]) -> Trajectory | None:
    scores = [line.sentiment for line in lines if line.sentiment is not None]
    return Trajectory(scores[0], scores[-1], min(scores)) if scores else None


def transcript(conversation: Conversation) -> list[Line]:
    limit = SLOW_REPLY_SECONDS.get(conversation.channel, 3600)
    lines: list[Line] = []
    previous: Message | None = None
    waiting_since = None
    for message in conversation.messages.select_related("author").order_by("seq"):
        gap = None if previous is None else (message.sent_at - previous.sent_at).total_seconds()
        waited = False
        if message.author_kind == AuthorKind.CUSTOMER and waiting_since is None:
            waiting_since = message.sent_at
        elif message.author_kind == AuthorKind.AGENT and waiting_since is not None:
            waited = (message.sent_at - waiting_since).total_seconds() > limit
            waiting_since = None
        mood = sentiment(message.text) if message.author_kind == AuthorKind.CUSTOMER else None
        lines.append(Line(message, gap, waited, mood))
        previous = message
    return lines
