"""The default workflow: the 20 steps of PRODUCT.md §3.1 with its four approval gates.
Plain data, so the data migration that creates it and the tests read the same list."""

from __future__ import annotations

from typing import Any

RATINGS = ["Excellent", "Good", "Average", "Below Average", "Poor"]
IMPROVEMENT_AREAS = [
    "Response time",
    "Knowledge base updates",
    "Training needs",
    "Communication channels",
    "Escalation process",
]


def _step(key: str, name: str, kind: str, role: str = "", **more: Any) -> dict[str, Any]:
    return {"key": key, "name": name, "kind": kind, "role": role, **more}


DEFAULT_TEMPLATE: dict[str, Any] = {
    "name": "Request quality control",
    "steps": [
        _step("check", "Check the incoming request", "automatic", "agent",
              help="Required information present; urgency and complexity. Missing "
                   "information waits here for a clarification with the customer."),
        _step("categorize", "Categorize", "automatic", "lead",
              help="The conversation's category; a lead sets it when there is none."),
        _step("assign", "Assign to a representative", "automatic", "lead",
              help="The conversation's agent; a lead assigns one when there is none."),
        _step("record-request", "Record the request", "record",
              help="Time, date and details of the request, taken from the conversation."),
        _step("confirm", "Confirm understanding", "action", "agent", choices=["Yes", "No"],
              help="“No” keeps the request here while the representative clarifies it."),
        _step("gate-1", "Approval 1: understanding of the request", "approval", "lead", gate=1,
              reject_to="confirm"),
        _step("respond", "Respond", "action", "agent",
              help="Done when the representative has answered the customer."),
        _step("monitor", "Monitor the response", "action", "qa",
              help="Language, politeness and empathy, accuracy, guidelines, resolution: your "
                   "review of the conversation with its scorecard (AutoQA's ratings pre-fill "
                   "it)."),
        _step("record-response", "Record the response", "record",
              help="Time, date and details of the response, taken from the conversation."),
        _step("feedback", "Feedback to the representative", "action", "qa"),
        _step("gate-2", "Approval 2: the representative's response", "approval", "lead", gate=2,
              reject_to="respond"),
        _step("customer-feedback", "Record the customer's feedback", "record", "agent",
              help="The customer's survey answer, or a comment they gave."),
        _step("archive", "Archive the dialogue", "automatic",
              help="The conversation and its records, chained by hash (supportqa archive "
                   "verify)."),
        _step("evaluate", "Evaluate the overall handling", "action", "qa", choices=RATINGS,
              help="Response time, accuracy, professionalism and the customer's satisfaction "
                   "in view."),
        _step("gate-3", "Approval 3: overall handling", "approval", "lead", gate=3,
              reject_to="evaluate"),
        _step("overall-feedback", "Overall feedback to the representative", "action", "lead"),
        _step("report", "Report results to management", "action", "lead"),
        _step("gate-4", "Approval 4: management", "approval", "manager", gate=4,
              reject_to="report"),
        _step("improvements", "Identify areas for improvement", "action", "manager",
              choices=IMPROVEMENT_AREAS, multiple=True),
        _step("implement", "Implement improvements", "action", "manager"),
    ],
}  # fmt: skip


def build_template(models: dict[str, Any], spec: dict[str, Any], *, default: bool) -> Any:
    """Create a template from a spec (models passed in, so a migration can use its own)."""
    template = models["Template"].objects.create(name=spec["name"], is_default=default)
    # A migration's historical model may predate a field: pass only the fields it has.
    fields = {f.name for f in models["TemplateStep"]._meta.get_fields()}
    models["TemplateStep"].objects.bulk_create(
        models["TemplateStep"](
            template=template,
            position=position,
            key=step["key"],
            name=step["name"],
            kind=step["kind"],
            role=step.get("role", ""),
            gate=step.get("gate"),
            reject_to=step.get("reject_to", ""),
            choices=step.get("choices", []),
            help=step.get("help", ""),
            **({"multiple": step.get("multiple", False)} if "multiple" in fields else {}),
        )
        for position, step in enumerate(spec["steps"], start=1)
    )
    return template
