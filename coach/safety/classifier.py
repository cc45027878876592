"""Linear classifiers over what the coach already computes: the MiniLM sentence vector of a
text, beside hashed word and word-pair features of the same text.

The vector carries meaning ("I don't plan on being here by Friday" sits near other goodbyes);
the word features carry the exact cues a vector blurs ("better off", "wake up", "kill the
process"). scikit-learn fits them (multinomial logistic regression) when their training data
changes, at `coach ingest` or on first use; the weights are cached as one plain array keyed by
the data, so a running coach multiplies numbers and never imports scikit-learn (its import alone
costs about a second of start-up).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray

from coach.vectorcache import VectorCache, fingerprint

Vectors = NDArray[np.float32]
HASH_BITS = 15  # 32,768 buckets: few collisions for a few thousand short messages
_TOKEN = re.compile(r"[a-z0-9\u00c0-\u024f]+")


def word_features(text: str) -> tuple[NDArray[np.int64], float]:
    """Hashed buckets of the text's words and neighbouring word pairs, and their L2 weight."""
    words = _TOKEN.findall(text.lower().replace("'", "").replace("’", ""))
    grams = words + [f"{a} {b}" for a, b in pairwise(words)]
    if not grams:
        return np.zeros(0, dtype=np.int64), 0.0
    mask = (1 << HASH_BITS) - 1
    buckets = np.unique(np.array([zlib.crc32(g.encode()) & mask for g in grams], dtype=np.int64))
    return buckets, 1.0 / float(np.sqrt(len(buckets)))


@dataclass(frozen=True)
class LinearClassifier:
    """Softmax over dense and hashed word features; `classes` names the columns."""

    classes: tuple[str, ...]
    dense: Vectors  # (dims, k)
    words: Vectors  # (2**HASH_BITS, k)
    bias: Vectors  # (k,)

    def probabilities(self, vectors: Vectors, texts: Sequence[str]) -> Vectors:
        logits = vectors @ self.dense + self.bias
        for row, text in enumerate(texts):
            buckets, weight = word_features(text)
            if len(buckets):
                logits[row] += self.words[buckets].sum(axis=0) * weight
        if self.dense.shape[1] == 1:  # two classes: scikit-learn fits one logit
            p = 1.0 / (1.0 + np.exp(-logits[:, 0]))
            two: Vectors = np.stack([1.0 - p, p], axis=1).astype(np.float32)
            return two
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        out: Vectors = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
        return out

    def column(self, name: str) -> int:
        return self.classes.index(name)

    @classmethod
    def trained(
        cls,
        name: str,
        examples: Mapping[str, Sequence[str]],
        encode: Callable[[Sequence[str]], Vectors],
        cache: VectorCache,
        encoder_id: str,
        c: float = 2.0,
    ) -> LinearClassifier:
        """Fit on labelled texts (class -> texts), or load the weights fitted on the same data."""
        classes = tuple(examples)
        key = fingerprint(
            [
                encoder_id,
                name,
                f"C={c}",
                f"bits={HASH_BITS}",
                *(f"\1{k}\2" + "\3".join(v) for k, v in examples.items()),
            ]
        )

        def fit() -> Vectors:
            texts = [t for k in classes for t in examples[k]]
            labels = np.array([i for i, k in enumerate(classes) for _ in examples[k]])
            return _fit(encode(texts), texts, labels, c)

        packed = cache.get(name, key, fit)
        dims = packed.shape[0] - 1 - (1 << HASH_BITS)
        return cls(classes, packed[:dims], packed[dims:-1], packed[-1])


def _fit(x: Vectors, texts: Sequence[str], y: NDArray[np.int64], c: float) -> Vectors:
    """Balanced logistic regression; weights and bias packed as one (dims + buckets + 1, k)."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.linear_model import LogisticRegression

    rows, cols, vals = [], [], []
    for i, text in enumerate(texts):
        buckets, weight = word_features(text)
        rows += [i] * len(buckets)
        cols += buckets.tolist()
        vals += [weight] * len(buckets)
    words = csr_matrix((vals, (rows, cols)), shape=(len(texts), 1 << HASH_BITS), dtype=np.float32)
    features = hstack([csr_matrix(x), words]).tocsr()
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000)
    model.fit(features, y)
    coef = model.coef_.T.astype(np.float32)  # (features, k), or (features, 1) for two classes
    bias = model.intercept_.astype(np.float32)[None, :]
    packed: Vectors = np.vstack([coef, bias]).astype(np.float32)
    return packed
