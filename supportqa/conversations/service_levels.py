"""The installation's service levels: how long a customer may wait for a first reply and for
each later one, per channel (`Rules.reply_targets`). One setting, edited by admins on the
AutoQA settings page; the AutoQA app provides it at start-up (AppConfig.ready), so this app
(and the pages built on it: transcripts, spotlights, dashboards) depends on no higher app.
"""

from __future__ import annotations

from collections.abc import Callable

from supportqa.core.autoqa import Rules

_provider: Callable[[], Rules] = Rules  # the English defaults, until the setting is provided


def provide(provider: Callable[[], Rules]) -> None:
    global _provider
    _provider = provider


def current() -> Rules:
    """The rules in force, read for their reply targets."""
    return _provider()
