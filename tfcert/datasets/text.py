"""Text: two classification corpora where word order decides the label, and verses to generate.

``reviews`` (binary)
    What: one-sentence restaurant reviews, ``is_positive`` 1 or 0. Each review
    has two clauses about two aspects ("the soup was not bland, but the waiter
    was rude"); the clause that decides is set by the connective ("X but Y":
    Y decides; "X, even though Y": X decides) and "not" flips an adjective.
    The same words appear in both classes in the same numbers, so a bag of
    words cannot tell them apart: word order carries the label.
    How: drawn from a grammar of 12 aspects, 14 positive and 14 negative
    adjectives, 4 intensifiers and 4 connectives; ``train`` 8,000 and
    ``validation`` 2,000 reviews from seed 11, the grader-only ``heldout``
    2,000 from the grader's seed (:func:`tfcert.datasets.grader_seed`: the
    instructor's secret on a grading machine that has one), with every held-out
    sentence absent from the learner splits. Records: ``{"review": ..., "is_positive": ...}``.
    Target: 90 % held-out accuracy. A bag-of-words logistic regression scores
    49 % (chance), with word bigrams 50 %; an LSTM, GRU or Conv1D over
    embeddings passes. Measured on a 2-core CPU (``TextVectorization`` inside
    the model, ``Embedding(16)``, batches of 64, 10 epochs): averaging the
    embeddings (``GlobalAveragePooling1D``) 0.48 held out; ``LSTM(32)`` 1.00
    (8 s; it sits at 0.5 for four epochs, then jumps), ``GRU(32)`` 1.00,
    ``Conv1D(64, 5)`` 1.00 from the second epoch (3 s). The D4 assignment's
    reference (``Embedding(32, mask_zero=True)``, ``LSTM(32)``, Adam 0.003)
    reaches 1.00 in two epochs. Adjectives are shared by all aspects on purpose, so no
    single word gives the answer away (the price may be "stale").

``complaints`` (multi-class)
    What: the same kind of two-clause review in which exactly one aspect is
    criticised; the label is that aspect's group: ``food``, ``service``,
    ``price``, ``place`` or ``music``. Negation and word order decide which of
    the two mentioned aspects is the complaint.
    How: as ``reviews`` (seed 12), 8,000 / 2,000 / 2,000. Records:
    ``{"review": ..., "complaint": ...}`` (the group name; the label index in
    arrays).
    Target: 85 % held-out accuracy; a bag of words scores 52 % (it cannot tell
    which of the two aspects mentioned is the complaint). An Embedding +
    Bidirectional LSTM(64) + Dense(64) model sits near 50 % for about six
    epochs, then jumps to 100 % (20 epochs: 52 s on a 2-core CPU): patience,
    or early stopping on validation accuracy, is part of the lesson. Post-padded
    ids hurt recurrent layers that read the padding last: without masking a
    ``GRU(32)`` reaches 0.67 after 15 epochs, a ``SimpleRNN(32)`` 0.99 and a
    ``Conv1D`` 1.00; the assignment's reference (``mask_zero=True``,
    ``Bidirectional(GRU(32))``, Adam 0.003) leaves the plateau at epoch 4 and
    reaches 1.00 in 10 epochs (about 20 s).

``verses``
    What: a corpus of rhyming four-line stanzas for training a text generator
    (the handbook's "songs and poetry"), 2,400 lines.
    How: each line follows one of eight patterns filled from small word lists,
    lines 1-2 and 3-4 rhyme; seed 13; ``train`` 2,000 lines, ``validation``
    200, grader-only ``heldout`` 200 (the grader's seed, as for ``reviews``).
    Target: 60 % next-word accuracy on the held-out lines (the grader's
    :class:`~tfcert.datasets.kinds.CorpusKind` cuts each line into pairs of
    the last ``L`` ids before a word and that word). Always predicting the
    most frequent word ("the") scores 13 %, and many places are free choices
    no model can guess (which subject, which rhyme word), so the ceiling is
    near 70 %: an ``Embedding(32)`` + ``LSTM(64)`` over windows of 8 reaches
    0.67-0.69 after three to four epochs (12,763 training pairs, about 1 s an
    epoch on a 2-core CPU), which leaves the target a margin of seven points.
"""

from __future__ import annotations

import numpy as np

from tfcert.datasets._registry import HELDOUT_SPLIT, DatasetSpec, grader_seed, register
from tfcert.datasets.kinds import CorpusKind, TextKind

ASPECTS = {
    "food": ["soup", "pasta", "bread", "dessert"], "service": ["waiter", "staff", "service"],
    "price": ["bill", "prices"], "place": ["terrace", "room"], "music": ["music", "band"],
}
POSITIVE = ["great", "lovely", "excellent", "superb", "friendly", "fresh", "warm", "fair", "cheerful",
            "delicious", "quick", "charming", "pleasant", "perfect"]
NEGATIVE = ["awful", "rude", "slow", "stale", "bland", "cold", "noisy", "dreary", "greasy", "steep",
            "dull", "cramped", "sloppy", "terrible"]
INTENSIFIERS = ["", "really ", "very ", "quite "]
SIZES = {"train": 8000, "validation": 2000, HELDOUT_SPLIT: 2000}


def _clause(rng: np.random.Generator, noun: str, good: bool) -> str:
    """A clause about ``noun`` whose meaning is ``good``; half the time said through a negation."""
    negated = rng.random() < 0.5
    word_is_positive = good != negated
    adjective = rng.choice(POSITIVE if word_is_positive else NEGATIVE)
    verb = "were" if noun.endswith("s") else "was"
    return f"the {noun} {verb} {'not ' if negated else ''}{rng.choice(INTENSIFIERS)}{adjective}"


def _review(rng: np.random.Generator) -> tuple[str, bool, str]:
    """(sentence, overall verdict, group of the criticised aspect)."""
    groups = rng.choice(list(ASPECTS), 2, replace=False)
    nouns = [rng.choice(ASPECTS[g]) for g in groups]
    good_first = bool(rng.random() < 0.5)
    first, second = _clause(rng, nouns[0], good_first), _clause(rng, nouns[1], not good_first)
    form = rng.integers(4)
    if form == 0:
        return f"{first}, but {second}", not good_first, groups[0] if not good_first else groups[1]
    if form == 1:
        return f"{first}, even though {second}", good_first, groups[0] if not good_first else groups[1]
    if form == 2:
        return f"although {first}, {second}", not good_first, groups[0] if not good_first else groups[1]
    return f"{first}, yet {second}", not good_first, groups[0] if not good_first else groups[1]


def _unique_sentences(seed: int, count: int, exclude: set[str], label_of) -> tuple[list[str], list[int]]:
    rng = np.random.default_rng(seed)
    texts, labels, seen = [], [], set(exclude)
    while len(texts) < count:
        sentence, verdict, complaint = _review(rng)
        if sentence in seen:
            continue
        seen.add(sentence)
        texts.append(sentence)
        labels.append(label_of(verdict, complaint))
    return texts, labels


def _corpus(seed: int, label_of):
    def build(split: str) -> tuple[np.ndarray, np.ndarray]:
        learner_count = SIZES["train"] + SIZES["validation"]
        texts, labels = _unique_sentences(seed, learner_count, set(), label_of)
        if split == HELDOUT_SPLIT:
            texts, labels = _unique_sentences(grader_seed() + seed, SIZES[HELDOUT_SPLIT], set(texts), label_of)
        elif split == "train":
            texts, labels = texts[:SIZES["train"]], labels[:SIZES["train"]]
        else:
            texts, labels = texts[SIZES["train"]:], labels[SIZES["train"]:]
        return np.array(texts), np.array(labels, dtype="int64")
    return build


GROUPS = tuple(ASPECTS)

# ----------------------------------------------------------------------------- verses

SUBJECTS = ["the river", "my heart", "the old road", "a lantern", "the north wind", "her letter", "the harbour",
            "a sparrow", "the orchard", "his fiddle"]
RHYMES = [["night", "light", "flight", "moonlight"], ["sea", "tree", "quay", "lee"], ["rain", "lane", "plain", "grain"],
          ["foam", "loam", "dome", "home"], ["day", "bay", "hay", "way"], ["song", "throng", "gong", "summer long"]]
PATTERNS = ["{s} is singing of the {r}", "and {s} will wander through the {r}", "{s} remembers every {r}",
            "oh {s}, come back to me by {r}", "{s} was waiting in the {r}", "i followed {s} into the {r}",
            "{s} goes dancing all the {r}", "beneath {s} we met that {r}"]
VERSE_SIZES = {"train": 2000, "validation": 200, HELDOUT_SPLIT: 200}


def stanza(rng: np.random.Generator) -> list[str]:
    lines = []
    for _ in range(2):
        rhyme = RHYMES[rng.integers(len(RHYMES))]
        words = rng.choice(rhyme, 2, replace=False)
        for word in words:
            lines.append(PATTERNS[rng.integers(len(PATTERNS))].format(s=rng.choice(SUBJECTS), r=word))
    return lines


def build_verses(split: str) -> tuple[np.ndarray, np.ndarray]:
    seed = grader_seed() + 13 if split == HELDOUT_SPLIT else 13
    rng = np.random.default_rng(seed)
    total = VERSE_SIZES[HELDOUT_SPLIT] if split == HELDOUT_SPLIT else VERSE_SIZES["train"] + VERSE_SIZES["validation"]
    lines: list[str] = []
    while len(lines) < total:
        lines += stanza(rng)
    lines = lines[:total]
    if split == "train":
        lines = lines[:VERSE_SIZES["train"]]
    elif split == "validation":
        lines = lines[VERSE_SIZES["train"]:]
    return np.array(lines), np.arange(len(lines), dtype="int64")


for _spec in (
    DatasetSpec(name="reviews", build=_corpus(11, lambda verdict, complaint: int(verdict)), input_shape=(),
                classes=("negative", "positive"), kind=TextKind(text_column="review", label_column="is_positive"),
                description="two-clause reviews; negation and word order decide the sentiment",
                module=__name__, cached=True, sizes=dict(SIZES)),
    DatasetSpec(name="complaints", build=_corpus(12, lambda verdict, complaint: GROUPS.index(complaint)),
                input_shape=(), classes=GROUPS,
                kind=TextKind(text_column="review", label_column="complaint", label_names_in_records=True),
                description="two-clause reviews; which aspect is criticised (5 classes)",
                module=__name__, cached=True, sizes=dict(SIZES)),
    DatasetSpec(name="verses", build=build_verses, input_shape=(), classes=(), kind=CorpusKind(column="line"),
                description="rhyming stanzas for text generation", module=__name__, sizes=dict(VERSE_SIZES)),
):
    register(_spec)
