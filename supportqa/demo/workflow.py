"""The demo's requests in the quality-control workflow: some at each stage, one sent back at
a gate, one closed and archived (PRODUCT.md §3.1)."""

from __future__ import annotations

from supportqa.accounts.models import User
from supportqa.conversations.models import Conversation
from supportqa.notifications.actions import muted
from supportqa.workflow.engine import WorkflowError, active_record, complete, decide, start
from supportqa.workflow.models import Request

# How far each demo request goes: the step it stops at ("" = to the end), and whether a gate
# sent it back once on the way.
PLAN = [
    ("confirm", False),
    ("gate-1", False),
    ("monitor", False),
    ("gate-2", False),
    ("respond", True),  # sent back at gate 2
    ("gate-3", False),
    ("gate-4", False),
    ("improvements", False),
    ("", False),  # closed and archived
]


def build_requests() -> int:
    """Start and advance the demo requests (once: conversations with a request are left as
    they are). Returns how many were started."""
    people = {u.username: u for u in User.objects.filter(username__in=["qa.strict", "manager"])}
    candidates = (
        Conversation.objects.filter(team__name="Alpha", agent__isnull=False, workflow__isnull=True)
        .order_by("-created_at")
        .select_related("agent")[: len(PLAN)]
    )
    if Request.objects.exists() or len(people) < 2:
        return 0
    lead = User.objects.filter(username="lead.alpha").first()
    started = 0
    with muted():
        for conversation, (stop, sent_back) in zip(candidates, PLAN, strict=False):
            request = start(conversation, by=lead)
            started += 1
            roles = {"agent": conversation.agent, "qa": people["qa.strict"], "lead": lead,
                     "manager": people["manager"]}  # fmt: skip
            _walk(request, stop, sent_back, roles)
    return started


def _walk(request: Request, stop: str, sent_back: bool, roles: dict[str, User | None]) -> None:
    rejected = False
    while True:
        record = active_record(request)
        if record is None or record.step.key == stop and (rejected or not sent_back):
            return
        step = record.step
        by = roles.get(step.role)
        if by is None:
            return
        try:
            if step.kind == "approval":
                if sent_back and not rejected and step.gate == 2:
                    reason = "The refund amount quoted does not match the order."
                    decide(request, step.key, by=by, approve=False, comment=reason)
                    rejected = True
                else:
                    decide(request, step.key, by=by, approve=True, comment="Checked.")
            else:
                choice = step.choices[0] if step.choices else ""
                complete(request, step.key, by=by, choice=choice, comment="Done in the demo.")
        except WorkflowError:
            return
        request.refresh_from_db()
