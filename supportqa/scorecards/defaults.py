"""The scorecards every installation starts with (PRODUCT.md §3.2). Loaded by data
migrations: 0002 created version 1 of each; 0004 added version 2 of the chat rubric, whose
"Meets Expectations" is worth 80 (it was 50), so that meeting every expectation reaches the 80%
pass mark (docs/statistics.md, "What a score means")."""

from __future__ import annotations

from typing import Any

LEVELS = ("Exceeds Expectations", "Meets Expectations", "Below Expectations")


def level_criterion(
    key: str,
    name: str,
    exceeds: str,
    meets: str,
    below: str,
    *,
    critical: bool = False,
    causes: tuple[str, ...] = (),
    meets_value: float,
) -> dict[str, Any]:
    return {
        "key": key,
        "name": name,
        "critical": critical,
        "allow_na": not critical,
        "options": [
            {"label": LEVELS[0], "value": 100, "description": exceeds},
            {"label": LEVELS[1], "value": meets_value, "description": meets},
            {"label": LEVELS[2], "value": 0, "description": below},
        ],
        "root_causes": list(causes),
    }


def chat_rubric(meets_value: float, description: str) -> dict[str, Any]:
    """The chat rubric with "Meets Expectations" worth `meets_value` (Exceeds 100, Below 0)."""

    def level(*args: Any, **kwargs: Any) -> dict[str, Any]:
        return level_criterion(*args, meets_value=meets_value, **kwargs)

    return {
        "slug": "chat-quality",
        "name": "Chat quality rubric",
        "description": description,
        "pass_threshold": 80,
        "sections": _chat_sections(level),
    }


def _chat_sections(level: Any) -> list[dict[str, Any]]:
    """The rubric's criteria, each made by `level` (a three-level criterion)."""
    return [
        {
            "name": "Chat quality",
            "criteria": [
                level(
                    "response-time",
                    "Response Time",
                    "Replies arrive well inside the target response time.",
                    "Replies arrive inside the target response time.",
                    "Replies arrive outside the target response time.",
                    causes=("Queue overload", "Agent distracted", "Waiting on another team"),
                ),
                level(
                    "clarity",
                    "Clarity of Communication",
                    "Clear, concise and easy to follow.",
                    "Understandable, with small slips in wording or structure.",
                    "Confusing, or full of errors.",
                    causes=("Jargon", "Spelling and grammar", "Too long"),
                ),
                level(
                    "tone",
                    "Tone and Professionalism",
                    "Warm and professional; uses the customer's name and thanks them.",
                    "Professional and polite; uses the customer's name now and then.",
                    "Unprofessional; never uses the customer's name or thanks them.",
                    causes=("Rude or curt", "No personal address", "No thanks"),
                ),
                level(
                    "understanding",
                    "Understanding Customer Needs",
                    "Grasps the need at once and anticipates further questions.",
                    "Understands the need with some clarification.",
                    "Misreads the need; answers are off the point.",
                    causes=("Did not read history", "No clarifying question", "Product knowledge"),
                ),
                level(
                    "resolution",
                    "Resolution Efficiency",
                    "Effective fix within the first few exchanges.",
                    "Resolved in a reasonable number of exchanges.",
                    "Unresolved, needless escalation or follow-up.",
                    causes=("Knowledge gap", "Process gap", "Needless escalation"),
                ),
                level(
                    "personalization",
                    "Personalization",
                    "Tailored to the customer's situation and history.",
                    "Some personal touch, mostly scripted.",
                    "Generic scripted replies.",
                    causes=("Canned reply", "Ignored history"),
                ),
                level(
                    "follow-up",
                    "Follow-Up",
                    "Offers follow-up proactively and confirms every concern is covered.",
                    "Asks if anything else is needed.",
                    "Neither offers follow-up nor asks if anything else is needed.",
                    causes=("Closed too early",),
                ),
                level(
                    "compliance",
                    "Compliance with Procedures",
                    "Follows every policy, including security and privacy.",
                    "Minor deviations with no security impact.",
                    "Breaks or skips key policies.",
                    critical=True,
                    causes=("Identity not verified", "Personal data exposed", "Wrong procedure"),
                ),
            ],
        }
    ]


# Version 1 (migration 0002): an agent who met every expectation scored 50% and failed.
CHAT_RUBRIC_V1 = chat_rubric(50, "Eight criteria rated Exceeds / Meets / Below Expectations.")
# Version 2 (migration 0004), the current default: meeting every expectation is the pass mark.
CHAT_RUBRIC = chat_rubric(
    80,
    "Eight criteria rated Exceeds (100) / Meets (80) / Below (0) Expectations: meeting every "
    "expectation reaches the 80% pass mark; a Below must be made up by Exceeds elsewhere; "
    "Below on the critical criterion fails the review.",
)


def _pass_fail(key: str, name: str, description: str) -> dict[str, Any]:
    return {
        "key": key,
        "name": name,
        "description": description,
        "critical": False,
        "allow_na": True,
        "options": [
            {"label": "Pass", "value": 100, "description": "Meets the standard."},
            {"label": "Fail", "value": 0, "description": "Does not meet the standard."},
        ],
        "root_causes": [],
    }


RESPONSE_CHECK: dict[str, Any] = {
    "slug": "response-check",
    "name": "Response check",
    "description": "Monitoring of a response for professionalism and accuracy (workflow step 8).",
    "pass_threshold": 80,
    "sections": [
        {
            "name": "Response",
            "criteria": [
                _pass_fail("language", "Language and grammar", "Correct spelling and grammar."),
                _pass_fail(
                    "politeness",
                    "Politeness and empathy",
                    "Courteous, acknowledges the customer's situation.",
                ),
                _pass_fail(
                    "accuracy",
                    "Accuracy of information",
                    "Information given is correct and complete.",
                ),
                _pass_fail(
                    "guidelines", "Adherence to guidelines", "Follows the documented procedures."
                ),
                _pass_fail(
                    "issue-resolution",
                    "Resolution of the issue",
                    "The customer's issue is resolved or correctly routed.",
                ),
            ],
        }
    ],
}

OVERALL_HANDLING: dict[str, Any] = {
    "slug": "overall-handling",
    "name": "Overall handling",
    "description": "One overall rating with response time, accuracy, professionalism and "
    "satisfaction in view (workflow step 14).",
    "pass_threshold": 75,
    "sections": [
        {
            "name": "Overall",
            "criteria": [
                {
                    "key": "overall",
                    "name": "Overall handling",
                    "critical": False,
                    "allow_na": False,
                    "options": [
                        {"label": "Excellent", "value": 100, "description": "Nothing to improve."},
                        {"label": "Good", "value": 75, "description": "Minor improvements."},
                        {"label": "Average", "value": 50, "description": "Several improvements."},
                        {
                            "label": "Below Average",
                            "value": 25,
                            "description": "Significant problems.",
                        },
                        {"label": "Poor", "value": 0, "description": "Failed the customer."},
                    ],
                    "root_causes": [],
                }
            ],
        }
    ],
}

# As created by migration 0002 (version 1 of each); CHAT_RUBRIC is the chat rubric's latest.
DEFAULT_SCORECARDS = (CHAT_RUBRIC_V1, RESPONSE_CHECK, OVERALL_HANDLING)
DEFAULT_CATEGORIES = (
    "Technical issue",
    "Billing inquiry",
    "Product information",
    "Complaint",
    "General query",
)
