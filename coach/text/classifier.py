"""Linear classifiers over what the coach already computes: the MiniLM sentence vector of a
text, beside hashed word and word-pair features of the same text.

The vector carries meaning ("I don't plan on being here by Friday" sits near other goodbyes);
the word features carry the exact cues a vector blurs ("better off", "wake up", "kill the
process"). scikit-learn fits them (multinomial logistic regression) when their training data
changes, at `coach ingest` or on first use; the weights are cached as one plain array keyed by
the data, so a running coach multiplies numbers and never imports scikit-learn (its import alone
costs about a second of start-up).

The MiniLM model was trained on English and reads other languages as noise, so the risk
classifier for Spanish, Portuguese, French and German has no vector: it reads hashed character
n-grams of each word, which hold across inflections ("ritzen", "geritzt"; "réveiller",
"réveillerai") and missing accents.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray

from coach.retrieval import VectorCache, fingerprint

Vectors = NDArray[np.float32]
Examples = Mapping[str, Sequence[str]]  # class -> its labelled texts
HASH_BITS = 15  # 32,768 buckets: few collisions for a few thousand short messages
_TOKEN = re.compile(r"[a-z0-9\u00c0-\u024f]+")


_ACCENTS = str.maketrans("àáâãäåèéêëìíîïòóôõöùúûüçñß", "aaaaaaeeeeiiiiooooouuuucns")


def _words(text: str) -> list[str]:
    return _TOKEN.findall(text.lower().replace("'", " ").replace("’", " "))


def word_grams(text: str) -> list[str]:
    """The text's words and neighbouring word pairs."""
    words = _TOKEN.findall(text.lower().replace("'", "").replace("’", ""))
    return words + [f"{a} {b}" for a, b in pairwise(words)]


def char_grams(text: str) -> list[str]:
    """Words, word pairs and 3- to 5-letter pieces of each word, accents folded."""
    words = [w.translate(_ACCENTS) for w in _words(text)]
    grams = words + [f"{a} {b}" for a, b in pairwise(words)]
    for w in words:
        padded = f"<{w}>"
        grams += [padded[i : i + n] for n in (3, 4, 5) for i in range(len(padded) - n + 1)]
    return grams


# name -> (what to hash, hash bits)
FEATURES: dict[str, tuple[Callable[[str], list[str]], int]] = {
    "words": (word_grams, HASH_BITS),
    "chars": (char_grams, 17),  # several times more grams per text: more buckets
}


_NO_BUCKETS = np.zeros(0, dtype=np.int64)
_NO_BUCKETS.flags.writeable = False


@lru_cache(maxsize=4096)
def hashed(text: str, kind: str = "words") -> tuple[NDArray[np.int64], float]:
    """Hashed buckets of the text's features, and their L2 weight. Remembered: the risk and
    request classifiers read the same sentences of a message, and the check-in reads it again.
    The arrays are shared between callers, so they are read-only."""
    grams_of, bits = FEATURES[kind]
    grams = grams_of(text)
    if not grams:
        return _NO_BUCKETS, 0.0
    mask = (1 << bits) - 1
    buckets = np.unique(np.array([zlib.crc32(g.encode()) & mask for g in grams], dtype=np.int64))
    buckets.flags.writeable = False
    return buckets, 1.0 / float(np.sqrt(len(buckets)))


@dataclass(frozen=True)
class LinearClassifier:
    """Softmax over dense and hashed features; `classes` names the columns. A classifier with
    no dense part (`dense` has no rows) reads the texts alone: pass vectors of width 0."""

    classes: tuple[str, ...]
    dense: Vectors  # (dims, k)
    words: Vectors  # (2**bits, k)
    bias: Vectors  # (k,)
    features: str = "words"

    def probabilities(self, vectors: Vectors, texts: Sequence[str]) -> Vectors:
        if not self.dense.shape[0]:
            vectors = np.zeros((len(texts), 0), dtype=np.float32)
        logits = vectors @ self.dense + self.bias
        for row, text in enumerate(texts):
            buckets, weight = hashed(text, self.features)
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
        examples: Examples | Callable[[], Examples],
        encode: Callable[[Sequence[str]], Vectors] | None,
        cache: VectorCache,
        encoder_id: str,
        c: float = 2.0,
        features: str = "words",
        inputs: str | None = None,
    ) -> LinearClassifier:
        """Fit on labelled texts (class -> texts), or load the weights fitted on the same data.
        `encode` None: no dense part, the hashed features alone.

        `inputs`, a digest of everything `examples` is made from (`files_digest`): when the
        weights fitted from the same inputs are cached, they are loaded without calling
        `examples`, so a fresh process does not read thousands of training lines only to find
        its weights (0.08 s of every `coach reply`)."""
        bits = FEATURES[features][1]
        settings = [
            encoder_id if encode is not None else "no-vectors",
            name,
            f"C={c}",
            f"{features}:bits={bits}",
        ]
        memo = None if inputs is None else fingerprint([inputs, *settings])
        known = None if memo is None else cache.recall(name, memo)
        if known is not None:
            packed = cache.load(name, known[0])
            if packed is not None:
                return cls._unpacked(known[1], packed, bits, features)
        given = examples() if callable(examples) else examples
        classes = tuple(given)
        key = fingerprint([*settings, *(f"\1{k}\2" + "\3".join(v) for k, v in given.items())])

        def fit() -> Vectors:
            texts = [t for k in classes for t in given[k]]
            labels = np.array([i for i, k in enumerate(classes) for _ in given[k]])
            x = encode(texts) if encode is not None else np.zeros((len(texts), 0), np.float32)
            return _fit(x, texts, labels, c, features)

        packed = cache.get(name, key, fit)
        if memo is not None:
            cache.remember(name, memo, key, classes)
        return cls._unpacked(classes, packed, bits, features)

    @classmethod
    def _unpacked(
        cls, classes: tuple[str, ...], packed: Vectors, bits: int, features: str
    ) -> LinearClassifier:
        dims = packed.shape[0] - 1 - (1 << bits)
        return cls(classes, packed[:dims], packed[dims:-1], packed[-1], features)


def _fit(
    x: Vectors, texts: Sequence[str], y: NDArray[np.int64], c: float, features: str = "words"
) -> Vectors:
    """Balanced logistic regression; weights and bias packed as one (dims + buckets + 1, k)."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.linear_model import LogisticRegression

    bits = FEATURES[features][1]
    rows, cols, vals = [], [], []
    for i, text in enumerate(texts):
        buckets, weight = hashed(text, features)
        rows += [i] * len(buckets)
        cols += buckets.tolist()
        vals += [weight] * len(buckets)
    words = csr_matrix((vals, (rows, cols)), shape=(len(texts), 1 << bits), dtype=np.float32)
    features = hstack([csr_matrix(x), words]).tocsr()
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000)
    model.fit(features, y)
    coef = model.coef_.T.astype(np.float32)  # (features, k), or (features, 1) for two classes
    bias = model.intercept_.astype(np.float32)[None, :]
    packed: Vectors = np.vstack([coef, bias]).astype(np.float32)
    return packed
