"""Request categorization from the web: train on the conversations that have a category, then
categorize the ones that do not (workflow step 2). The model is the same portable file as
`supportqa classify` writes; its measurements sit beside it as JSON."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from collections.abc import Set
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from sklearn.model_selection import train_test_split

from supportqa.audit.actions import record_event
from supportqa.conversations.actions import update_conversations
from supportqa.conversations.models import AuthorKind, Category, Conversation, Message
from supportqa.core.classify import Classifier, ModelError, keyword_matches, load, train
from supportqa.core.recent import Recent

# What the model reads: the subject and the customer's first messages.
CUSTOMER_MESSAGES = 2
MAX_EXAMPLES = 20_000
# Categorize only where the model is at least this sure, unless the admin says otherwise.
DEFAULT_CONFIDENCE = 0.7


def model_path() -> Path:
    return Path(settings.DATA_DIR) / "models" / "categorizer.joblib"


def request_texts(conversations: Any) -> dict[int, str]:
    """Conversation id → the text a categorizer reads."""
    texts: dict[int, list[str]] = {}
    subjects = dict(conversations.values_list("pk", "subject"))
    for conversation_id, text in (
        Message.objects.filter(conversation_id__in=list(subjects), author_kind="customer")
        .order_by("conversation_id", "seq")
        .values_list("conversation_id", "text")
    ):
        parts = texts.setdefault(conversation_id, [])
        if len(parts) < CUSTOMER_MESSAGES:
            parts.append(text)
    return {pk: _request_text(subjects[pk], texts.get(pk, [])) for pk in subjects}


def _request_text(subject: str | None, customer_texts: list[str]) -> str:
    """The subject and the customer's first messages (in order): what a categorizer reads."""
    return " ".join([subject or "", *customer_texts[:CUSTOMER_MESSAGES]]).strip()


def request_text(conversation: Conversation, messages: list[Message] | None = None) -> str:
    """One conversation's request text (`request_texts` for one); `messages`: its messages
    in order, when the caller has read them (the conversation page's transcript)."""
    if messages is None:
        return request_texts(Conversation.objects.filter(pk=conversation.pk)).get(
            conversation.pk, ""
        )
    customer = [m.text for m in messages if m.author_kind == AuthorKind.CUSTOMER]
    return _request_text(conversation.subject, customer)


@dataclass(frozen=True)
class Trained:
    examples: int
    labels: int
    held_out: int
    accuracy: float
    embeddings: bool = False


def train_from_conversations(by: Any, *, embeddings: bool = False) -> Trained:
    """Measure on a stratified fifth of the labelled conversations, refit on all, save.
    `embeddings` adds MiniLM sentence embeddings (the optional extra)."""
    usable = _labelled_examples()
    texts, labels = [t for t, _ in usable], [label for _, label in usable]
    if len(set(labels)) < 2:
        raise ModelError(
            "training needs at least two categories with five or more categorized "
            "conversations each"
        )
    train_part, test_part = train_test_split(usable, test_size=0.2, random_state=0, stratify=labels)
    trial = train(
        [t for t, _ in train_part], [label for _, label in train_part], embeddings=embeddings
    )
    predicted = trial.predict([t for t, _ in test_part])
    accuracy = sum(p == label for (p, _), (_, label) in zip(predicted, test_part, strict=True))
    result = Trained(
        len(usable), len(set(labels)), len(test_part), accuracy / len(test_part), embeddings
    )
    final = train(texts, labels, embeddings=embeddings)
    path = model_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    final.save(path)
    path.with_suffix(".json").write_text(
        json.dumps({**result.__dict__, "trained_at": timezone.now().isoformat()})
    )
    with transaction.atomic():
        record_event(actor=by, action="categorizer.trained", obj=None, data=result.__dict__)
    return result


def _labelled_examples() -> list[tuple[str, str]]:
    """(request text, category name) of the latest categorized conversations, for the
    categories with at least five of them (a stratified split needs a few of each)."""
    labelled = Conversation.objects.filter(category__isnull=False).order_by("-created_at")
    names = Category.names()
    rows = list(labelled[:MAX_EXAMPLES].values_list("pk", "category_id"))
    texts = request_texts(Conversation.objects.filter(pk__in=[pk for pk, _ in rows]))
    pairs = [(texts[pk], names[category]) for pk, category in rows if texts.get(pk)]
    counts = Counter(label for _, label in pairs)
    return [(t, label) for t, label in pairs if counts[label] >= 5]


_loaded: dict[tuple[str, float], Classifier] = {}
# The loaded model's three likeliest categories per request text (by the text's digest: no
# customer's words are held), the latest KEPT_TEXTS asked: a conversation is opened again
# and again (each draft saved reloads it), and sklearn spends about 5 ms a call checking
# its input around microseconds of arithmetic.
KEPT_TEXTS = 4096
_kept: Recent[bytes, list[tuple[str, float]]] = Recent(KEPT_TEXTS)
_lock = threading.Lock()  # a model installed, or an answer kept for it, at one time


def _ranked(model: Classifier, text: str) -> list[tuple[str, float]]:
    digest = hashlib.blake2b(text.encode(), digest_size=16).digest()
    found = _kept.get(digest)
    if found is not None:
        return found
    found = model.ranked([text], top=3)[0]
    with _lock:
        if model in _loaded.values():  # not replaced meanwhile
            _kept.put(digest, found)
    return found


def current_model() -> tuple[Classifier | None, dict[str, Any]]:
    """The trained categorizer and its measurements (None when none is trained). Loaded once
    per process and file version: every conversation page reads it."""
    path = model_path()
    if not path.exists():
        return None, {}
    key = (str(path), path.stat().st_mtime)
    with _lock:
        model = _loaded.get(key)
    if model is None:
        model = load(path)  # outside the lock: the kept answers stay readable meanwhile
        with _lock:
            _loaded.clear()
            _kept.clear()
            _loaded[key] = model
    facts = path.with_suffix(".json")
    return model, json.loads(facts.read_text()) if facts.exists() else {}


# A second topic is named when the categorizer gives it at least this probability.
SECONDARY = 0.2


@dataclass(frozen=True)
class Suggestion:
    """A category suggested for a request, how sure, and any further topics."""

    primary: str
    confidence: float | None  # the categorizer's probability; None for keyword rules
    secondary: list[str]
    how: str

    def as_data(self) -> dict[str, Any]:
        return {"suggested": self.primary, "confidence": self.confidence,
                "secondary": self.secondary, "suggested_by": self.how}  # fmt: skip


def suggest(conversation: Conversation, messages: list[Message] | None = None) -> Suggestion | None:
    """The trained categorizer's best category with its probability and the further topics
    it sees; without a categorizer, keyword rules (the category's name in the request);
    None when neither finds one. Only active categories are suggested. `messages`: as for
    `request_text`."""
    return suggest_text(request_text(conversation, messages))


def suggest_text(text: str, active: Set[str] | None = None) -> Suggestion | None:
    """`suggest` for any text (a social post); `active`: the active categories' names, read
    once for many texts."""
    if not text:
        return None
    if active is None:
        active = {name for _, name in Category.active()}
    try:
        model, _ = current_model()
    except ModelError:
        model = None  # a model from another version: keyword rules until it is retrained
    if model is not None:
        ranked = [(name, p) for name, p in _ranked(model, text) if name in active]
        if ranked:
            (name, confidence), rest = ranked[0], ranked[1:]
            return Suggestion(name, confidence, [n for n, p in rest if p >= SECONDARY],
                              "the trained categorizer")  # fmt: skip
    matches = keyword_matches(text, sorted(active))
    if not matches:
        return None
    best = matches[0][1]
    return Suggestion(
        matches[0][0],
        None,
        [name for name, n in matches[1:] if n == best],
        "keyword rules: the request uses the category's name",
    )


def categorize_uncategorized(by: Any, minimum_confidence: float) -> tuple[int, int]:
    """Set the category of uncategorized conversations where the model is at least this sure.
    Returns (categorized, left for a person)."""
    model, _ = current_model()
    if model is None:
        raise ModelError("train the categorizer first")
    names = {name: pk for pk, name in Category.names().items()}
    pending = Conversation.objects.filter(category__isnull=True)
    texts = request_texts(pending)
    ids = [pk for pk, text in texts.items() if text]
    done = 0
    with transaction.atomic():
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            predictions = model.predict([texts[pk] for pk in chunk])
            by_category = _confident(chunk, predictions, names, minimum_confidence)
            for category_id, members in by_category.items():
                done += update_conversations(
                    Conversation.objects.filter(pk__in=members), category_id=category_id
                )
        record_event(
            actor=by,
            action="categorizer.applied",
            obj=None,
            data={"categorized": done, "minimum_confidence": minimum_confidence},
        )
    return done, len(texts) - done


def _confident(
    ids: list[int], predictions: Any, names: dict[str, int], minimum_confidence: float
) -> dict[int, list[int]]:
    """The conversations whose predicted category is at least this sure, by category id."""
    by_category: dict[int, list[int]] = {}
    for pk, (label, confidence) in zip(ids, predictions, strict=True):
        if confidence >= minimum_confidence and label in names:
            by_category.setdefault(names[label], []).append(pk)
    return by_category
