"""What customers are asking about: topics found in their messages, and the topics that are
suddenly growing.

Discovery: each text as TF-IDF over character 3- to 5-grams within words (robust to the
typos customers make: "vehecle" still shares most of its grams with "vehicle"), reduced by
latent semantic analysis (truncated SVD, 50 dimensions) and length-normalised, clustered by
k-means; with the embeddings extra installed, MiniLM sentence embeddings are appended. A topic
is named by the words (and word pairs) with the highest mean TF-IDF among its texts, and shown
by the texts nearest its centre. When the number of topics is not given it is √(n/2), the
usual rule of thumb (Mardia, Kent & Bibby 1979): silhouette-based choices kept preferring the
largest k tried on the test data.

Emerging: a topic's share of all contacts in the latest week against its share over the weeks
before, by a one-sided exact binomial test (a topic that grows only because all volume grows is
not emerging), with the Benjamini–Hochberg correction across topics; emerging when the
adjusted p-value is below 0.05, the share at least 1.5 times its history and at least 5
contacts.

Quality (measured on DSTC11 Track 2 insurance utterances, as that challenge scores intent
induction): clustering accuracy after a one-to-one Hungarian matching of topics to gold
intents, and normalized mutual information.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.metrics import normalized_mutual_info_score
from sklearn.preprocessing import normalize

DIMENSIONS = 50
TERMS = 5
EXAMPLES = 3
EMERGING_ALPHA = 0.05
EMERGING_RATIO = 1.5
EMERGING_MINIMUM = 5
# Words that open customer messages whatever they are about: useless as topic names.
STOP_WORDS = sorted(ENGLISH_STOP_WORDS | {"hi", "hello", "hey", "thanks", "thank", "pls"})


@dataclass(frozen=True)
class Topic:
    number: int
    terms: list[str]
    size: int
    examples: list[int]  # indexes of the texts nearest the topic's centre

    @property
    def label(self) -> str:
        return ", ".join(self.terms[:3])


@dataclass(frozen=True)
class Discovery:
    topics: list[Topic]
    assignment: list[int]  # each text's topic number


def discover(
    texts: Sequence[str], k: int | None = None, *, seed: int = 0, embeddings: bool = False
) -> Discovery:
    """Topics of these texts: k of them, or √(n/2)."""
    if len(texts) < 20:
        raise ValueError("topic discovery needs at least 20 texts")
    if k is None:
        k = max(2, min(60, round(math.sqrt(len(texts) / 2))))
    if not 2 <= k < len(texts):
        raise ValueError("the number of topics must be at least 2 and below the number of texts")
    # Identical texts are one point: more topics than different texts would leave some empty.
    k = min(k, len(set(texts)))
    grams = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2
    ).fit_transform(texts)
    features = _features(grams, texts, seed, embeddings)
    model = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(features)
    labels = model.labels_
    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, stop_words=STOP_WORDS)
    weights_by_text = words.fit_transform(texts)
    vocabulary = np.asarray(words.get_feature_names_out())
    topics = []
    for number in range(k):
        members = np.flatnonzero(labels == number)
        if not len(members):
            continue
        weights = np.asarray(weights_by_text[members].mean(axis=0)).ravel()
        distances = np.linalg.norm(features[members] - model.cluster_centers_[number], axis=1)
        topics.append(
            Topic(
                number,
                [str(t) for t in vocabulary[np.argsort(-weights)[:TERMS]]],
                len(members),
                [int(i) for i in members[np.argsort(distances)[:EXAMPLES]]],
            )
        )
    topics.sort(key=lambda t: -t.size)
    return Discovery(topics, [int(label) for label in labels])


def _features(grams: Any, texts: Sequence[str], seed: int, embeddings: bool) -> NDArray[np.float64]:
    dimensions = max(2, min(DIMENSIONS, min(grams.shape) - 1))
    lsa = normalize(TruncatedSVD(dimensions, random_state=seed).fit_transform(grams))
    if not embeddings:
        return np.asarray(lsa, dtype=float)
    from supportqa.core.classify import SentenceEmbeddings

    dense = normalize(SentenceEmbeddings().fit_transform(list(texts)))
    return np.asarray(normalize(np.hstack([lsa, dense])), dtype=float)


def cluster_accuracy(gold: Sequence[str], predicted: Sequence[int]) -> float:
    """Share of texts whose topic maps to their gold intent under the best one-to-one matching
    (Hungarian assignment): DSTC11 Track 2's primary metric."""
    intents = sorted(set(gold))
    clusters = sorted(set(predicted))
    table = np.zeros((len(clusters), len(intents)))
    for label, cluster in zip(gold, predicted, strict=True):
        table[clusters.index(cluster), intents.index(label)] += 1
    rows, columns = linear_sum_assignment(-table)
    return float(table[rows, columns].sum() / len(gold))


def nmi(gold: Sequence[str], predicted: Sequence[int]) -> float:
    return float(normalized_mutual_info_score(gold, predicted))


@dataclass(frozen=True)
class Growth:
    topic: int
    count: int  # in the latest week
    share: float  # of the latest week's contacts
    usual: float  # share over the weeks before
    q_value: float  # Benjamini–Hochberg adjusted one-sided p-value

    @property
    def emerging(self) -> bool:
        return (
            self.q_value < EMERGING_ALPHA
            and self.count >= EMERGING_MINIMUM
            and self.share >= EMERGING_RATIO * self.usual
        )


def growth(weekly: dict[int, Sequence[int]], totals: Sequence[int]) -> list[Growth]:
    """weekly: topic → contacts per week (oldest first, the latest last); totals: all contacts
    per week. Each topic's latest week against its own history."""
    if len(totals) < 2:
        raise ValueError("growth needs the latest week and at least one week before it")
    latest, before = totals[-1], sum(totals[:-1])
    if latest == 0 or before == 0:
        return []
    rows = []
    for topic, counts in weekly.items():
        usual = sum(counts[:-1]) / before
        observed = counts[-1]
        # A topic never seen before has no history to grow from: it is compared with one
        # contact's share of the weeks before (it cannot be less likely than that).
        baseline = max(usual, 1 / before)
        p = stats.binomtest(observed, latest, min(baseline, 1.0), alternative="greater").pvalue
        rows.append((topic, observed, observed / latest, usual, float(p)))
    # Benjamini & Hochberg (1995) false discovery rate across the topics tested together.
    adjusted = stats.false_discovery_control([p for *_, p in rows], method="bh")
    return [Growth(t, c, s, u, float(q)) for (t, c, s, u, _), q in zip(rows, adjusted, strict=True)]
