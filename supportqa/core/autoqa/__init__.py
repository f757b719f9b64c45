"""Rule-based AutoQA: detectors that rate one conversation and show their evidence.

Every detector gives a score from 0 (below expectations) to 1 (exceeds), or None when it does
not apply to the conversation; a confidence from 0 to 1; the evidence (message index and
character span); and a one-line explanation a reviewer can check against the transcript.
`score_criteria` turns results into ratings of scorecard criteria through a mapping table
(`DEFAULT_MAPPING`, documented in docs/autoqa.md).

- `text`: reading a transcript (turns, phrase matching, words, readability, spelling, waits);
- `rules`: the organisation's phrase lists, targets and limits (`Rules`), English defaults;
- `detectors`: every detector, named once in `REGISTRY`, and `analyse`;
- `mapping`: from detectors to criteria.

Matching works on lower-cased text with word boundaries; each list is one compiled
alternation, so a conversation costs a few dozen regex scans.
"""

from supportqa.core.autoqa.detectors import (
    DETECTORS,
    REGISTRY,
    DetectorResult,
    Outcome,
    Step,
    analyse,
    ordered_steps,
)
from supportqa.core.autoqa.mapping import (
    DEFAULT_MAPPING,
    CriterionRating,
    nearest_option,
    score_criteria,
)
from supportqa.core.autoqa.rules import DEFAULT_RULES, Rules
from supportqa.core.autoqa.text import (
    Evidence,
    Turn,
    canned_key,
    misspellings,
    reading_level,
    reply_waits,
)

__all__ = [
    "DEFAULT_MAPPING",
    "DEFAULT_RULES",
    "DETECTORS",
    "REGISTRY",
    "CriterionRating",
    "DetectorResult",
    "Evidence",
    "Outcome",
    "Rules",
    "Step",
    "Turn",
    "analyse",
    "canned_key",
    "reading_level",
    "misspellings",
    "nearest_option",
    "ordered_steps",
    "reply_waits",
    "score_criteria",
]
