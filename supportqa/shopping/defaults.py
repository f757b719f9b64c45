"""A mystery-shop evaluation form to start from (the demo's, and a model for admins): its
behaviours share the chat rubric's keys where they are the same behaviour, so the 360° view
puts the shoppers' ratings beside the reviewers' on one row."""

from __future__ import annotations

from typing import Any

from supportqa.scorecards.defaults import level_criterion


def evaluation_form() -> dict[str, Any]:
    def level(*args: Any, **kwargs: Any) -> dict[str, Any]:
        return level_criterion(*args, meets_value=80, **kwargs)

    return {
        "slug": "mystery-shop",
        "name": "Mystery shop evaluation",
        "description": "What a shopper should meet on every contact.",
        "pass_threshold": 80,
        "sections": [
            {
                "name": "The contact",
                "criteria": [
                    level(
                        "greeting",
                        "Greeting and identification",
                        "Greets warmly, gives their name and checks who they speak to.",
                        "Greets and checks who they speak to.",
                        "No greeting, or no identity check.",
                    ),
                    level(
                        "understanding",
                        "Understanding the need",
                        "Asks the right questions and restates the need before answering.",
                        "Understands the need with a question or two.",
                        "Answers something other than what was asked.",
                    ),
                    level(
                        "resolution",
                        "Correct answer",
                        "The right answer and the next steps, without being asked.",
                        "The right answer.",
                        "A wrong or incomplete answer.",
                    ),
                    level(
                        "tone",
                        "Tone and professionalism",
                        "Warm, patient and professional throughout.",
                        "Polite and professional.",
                        "Curt, impatient or unprofessional.",
                    ),
                    level(
                        "compliance",
                        "Policy and compliance",
                        "Follows the policy and says so.",
                        "Follows the policy.",
                        "Breaks the policy (e.g. discloses account data unchecked).",
                        critical=True,
                    ),
                ],  # fmt: skip
            }
        ],
    }
