"""The text classifier: TF-IDF over jieba words and character n-grams, logistic regression.

No ORM here: training takes texts and category codes, prediction returns codes with
probabilities. `services.classifier_train` gathers the data (`selectors.training_pairs`: the
corpus below plus agents' categories, weighted) and stores versions; `selectors` loads the
active one. The model was chosen on the evaluation set written by another hand
(bench/classification.py, docs/classification.md).

jieba runs offline: its dictionary ships in the package and its prefix-dictionary cache is
written to `VAR_DIR/jieba` (the default, the system temporary directory, may not be writable).
A small telecom user dictionary (intake/data/jieba_userdict.txt) keeps words like 携号转网 and
光猫 whole.
"""

import csv
import hashlib
import io
import logging
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .rules import normalize

DATA_DIR = Path(__file__).resolve().parent / "data"
USER_DICT = DATA_DIR / "jieba_userdict.txt"
LABELLED_SET = DATA_DIR / "labelled_complaints.csv"
HOLDOUT_SET = DATA_DIR / "labelled_complaints_holdout.csv"
# The training corpus: train_*.csv files (many voices). eval_*.csv beside them are the
# evaluation set written by another hand: never trained on (see corpus_pairs).
CORPUS_DIR = DATA_DIR / "corpus"
EVAL_HAND = CORPUS_DIR / "eval_hand.csv"
EVAL_AMBIGUOUS = CORPUS_DIR / "eval_ambiguous.csv"

# Model settings are part of the training fingerprint: changing them retrains.
# The algorithm is the winner of bench/classification.py (docs/classification.md).
PARAMS = {"C": 100.0, "char_ngrams": (1, 2), "max_features": 50_000, "algorithm": "tfidf-lr-3"}

# Particles and fillers that say nothing about the category. Negations (不, 没) stay: “没信号”.
STOPWORDS = frozenset(
    "的 了 我 你 他 她 它 是 在 也 就 都 和 与 及 还 又 被 把 给 让 吗 呢 吧 啊 呀 哦 嗯 么 "
    "这 那 这个 那个 个 们 着 过 有 很 太 说 要 能 会 到 对 从 后 前 里 一 再 才 但 而 "
    "而且 因为 所以 如果 已经 现在 今天 昨天 你们 我们 他们 什么 怎么 为什么 请 谢谢 麻烦 "
    "客户 反映 来电 其 称".split())
_NOT_A_WORD = re.compile(r"^[\W_]+$")
_NUMBER = re.compile(r"^[\d.]+$")

logger = logging.getLogger(__name__)
_tokenizer = None
_tokenizer_lock = threading.Lock()


def _cache_dir() -> Path:
    from django.conf import settings

    path = Path(getattr(settings, "JIEBA_CACHE_DIR", "") or Path(settings.VAR_DIR) / "jieba")
    path.mkdir(parents=True, exist_ok=True)
    return path


def tokenizer():
    """The process's jieba tokenizer, initialised once (about a second) with the telecom
    dictionary."""
    global _tokenizer
    if _tokenizer is None:
        with _tokenizer_lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                instance = jieba.Tokenizer()
                instance.tmp_dir = str(_cache_dir())
                instance.initialize()
                for word, freq, tag in user_words():
                    instance.add_word(word, freq, tag)
                _tokenizer = instance
    return _tokenizer


def user_words() -> list[tuple[str, int | None, str | None]]:
    """The user dictionary's (word, frequency, tag), normalised like the text (“5G消息” is
    matched as “5g消息”)."""
    entries = []
    for line in USER_DICT.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        freq = int(parts[1]) if len(parts) > 1 else None
        entries.append((normalize(parts[0]), freq, parts[2] if len(parts) > 2 else None))
    return entries


def words(text: str) -> list[str]:
    """jieba words of the normalised text, without punctuation and stop words; numbers become
    one token, so amounts and dates do not each become a feature."""
    result = []
    for word in tokenizer().lcut(normalize(text)):
        if _NOT_A_WORD.match(word) or word in STOPWORDS:
            continue
        result.append("<num>" if _NUMBER.match(word) else word)
    return result


@dataclass(frozen=True)
class Suggestion:
    code: str
    confidence: float


@dataclass(frozen=True)
class Metrics:
    accuracy: float
    top3_accuracy: float
    size: int


def build_pipeline(params: dict | None = None):
    """The model `params` describe (PARAMS by default; bench/classification.py tries others):
    TF-IDF over jieba words (unless "words" is False) and character n-grams, then logistic
    regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    params = {**PARAMS, **(params or {})}
    parts = []
    if params.get("words", True):
        parts.append(("words", TfidfVectorizer(analyzer=words, sublinear_tf=True,
                                               max_features=params["max_features"])))
    # Characters catch what segmentation splits differently (宽带/宽带费), typos and
    # traditional characters once normalised.
    parts.append(("chars", TfidfVectorizer(analyzer="char", preprocessor=normalize,
                                           ngram_range=tuple(params["char_ngrams"]),
                                           sublinear_tf=True,
                                           max_features=params["max_features"])))
    model = LogisticRegression(C=params["C"], max_iter=5000, class_weight="balanced")
    if params.get("calibrated"):
        from sklearn.calibration import CalibratedClassifierCV

        # Probabilities fitted on held-apart folds: “60 % sure” then means right about 60 %
        # of the time, so a low top confidence means genuinely unsure.
        model = CalibratedClassifierCV(model, method=params["calibrated"], cv=3,
                                       ensemble=False)
    return Pipeline([("features", FeatureUnion(parts)), ("model", model)])


def train(texts: Sequence[str], codes: Sequence[str], weights: Sequence[float] | None = None,
          params: dict | None = None):
    """Fit a pipeline; `weights` (one per text) count agent-confirmed texts more."""
    if len(set(codes)) < 2:
        raise ValueError("Training needs texts of at least two categories.")
    pipeline = build_pipeline(params)
    fit = {} if weights is None else {"model__sample_weight": list(weights)}
    pipeline.fit(list(texts), list(codes), **fit)
    return pipeline


class WithMemory:
    """A trained pipeline plus a nearest-neighbour memory of agent-confirmed texts.

    The model alone learns little from a few corrections among thousands of corpus texts, and
    weighting them more made it worse on texts nobody corrected (docs/classification.md,
    “Learning from agents”). The memory makes a correction count where it should: a new text
    at least `min_similarity` alike (cosine of the model's own TF-IDF features) to confirmed
    texts gets `weight` of its probability from their categories (similarity-weighted), the
    rest from the model. Texts unlike any confirmed one are predicted by the model alone.
    Same interface as the pipeline for prediction: classes_, predict_proba, predict."""

    def __init__(self, pipeline, texts: Sequence[str], codes: Sequence[str], *,
                 min_similarity: float, weight: float):
        import numpy as np
        from sklearn.preprocessing import normalize as unit_rows

        self.pipeline = pipeline
        self.classes_ = pipeline.classes_
        index = {str(c): i for i, c in enumerate(self.classes_)}
        kept = [(t, index[c]) for t, c in zip(texts, codes, strict=True) if c in index]
        self.min_similarity, self.weight = float(min_similarity), float(weight)
        self.size = len(kept)
        # Stored transposed (features × texts, CSR): a text's similarities are one sparse
        # product, without converting the memory on every prediction.
        self.rows = unit_rows(self.features([t for t, _i in kept])).T.tocsr() if kept else None
        self.labels = np.array([i for _t, i in kept], dtype=np.int32)

    def features(self, texts):
        return self.pipeline.named_steps["features"].transform(list(texts))

    def predict_proba(self, texts):
        import numpy as np
        from sklearn.preprocessing import normalize as unit_rows

        texts = list(texts)
        if self.rows is None or not texts:
            return self.pipeline.predict_proba(texts)
        features = self.features(texts)  # once, for the model and the memory
        probabilities = self.pipeline.named_steps["model"].predict_proba(features)
        similarity = (unit_rows(features).tocsr() @ self.rows).tocsr()
        for r in range(len(texts)):
            start, end = similarity.indptr[r], similarity.indptr[r + 1]
            values, columns = similarity.data[start:end], similarity.indices[start:end]
            close = values >= self.min_similarity
            if not close.any():
                continue
            votes = np.zeros(len(self.classes_))
            np.add.at(votes, self.labels[columns[close]], values[close])
            if votes.sum() > 0:
                probabilities[r] = ((1 - self.weight) * probabilities[r]
                                    + self.weight * votes / votes.sum())
        return probabilities

    def predict(self, texts):
        probabilities = self.predict_proba(texts)
        return [self.classes_[i] for i in probabilities.argmax(axis=1)]


def remember(pipeline, pairs: Sequence[tuple[str, str]], *, min_similarity: float | None,
             weight: float):
    """`pipeline` with a memory of `pairs` (agent-confirmed texts); the pipeline itself when
    there are none or the memory is off (min_similarity None)."""
    if not pairs or min_similarity is None or weight <= 0:
        return pipeline
    return WithMemory(pipeline, [t for t, _c in pairs], [c for _t, c in pairs],
                      min_similarity=min_similarity, weight=min(weight, 1.0))


def suggest(pipeline, text: str, k: int = 3) -> list[Suggestion]:
    """The k most likely categories, most likely first; confidences are probabilities, so
    they sum to at most 1."""
    probabilities = pipeline.predict_proba([text])[0]
    classes = pipeline.classes_
    ranked = sorted(range(len(classes)), key=lambda i: probabilities[i], reverse=True)[:k]
    return [Suggestion(str(classes[i]), round(float(probabilities[i]), 4)) for i in ranked]


def suggest_many(pipeline, texts: Sequence[str], k: int = 3) -> list[list[Suggestion]]:
    """`suggest` for many texts with one run of the model (batch intake)."""
    if not texts:
        return []
    classes = pipeline.classes_
    found = []
    for probabilities in pipeline.predict_proba(list(texts)):
        ranked = sorted(range(len(classes)), key=lambda i: probabilities[i], reverse=True)[:k]
        found.append([Suggestion(str(classes[i]), round(float(probabilities[i]), 4))
                      for i in ranked])
    return found


def evaluate(pipeline, texts: Sequence[str], codes: Sequence[str]) -> Metrics:
    if not texts:
        return Metrics(0.0, 0.0, 0)
    probabilities = pipeline.predict_proba(list(texts))
    classes = list(pipeline.classes_)
    hits = top3 = 0
    for row, code in zip(probabilities, codes, strict=True):
        ranked = sorted(range(len(classes)), key=lambda i: row[i], reverse=True)
        best = [classes[i] for i in ranked[:3]]
        hits += best[0] == code
        top3 += code in best
    return Metrics(hits / len(texts), top3 / len(texts), len(texts))


def dump(pipeline) -> bytes:
    import joblib

    buffer = io.BytesIO()
    joblib.dump(pipeline, buffer, compress=3)
    return buffer.getvalue()


def load(data: bytes):
    import joblib

    return prediction_ready(joblib.load(io.BytesIO(bytes(data))))


def prediction_ready(pipeline):
    """`pipeline` with its linear models' weights laid out for prediction.

    A prediction multiplies the sparse features by the transposed weights (`X @ coef_.T`);
    scipy needs that dense operand contiguous and copied the whole weight matrix (classes ×
    features) on every prediction, about 3 ms of a 4 ms prediction. Stored column-major, the
    transpose is contiguous as it is: the same numbers, the same arithmetic, no copy."""
    import numpy as np

    def visit(estimator, seen):
        if estimator is None or id(estimator) in seen:
            return
        seen.add(id(estimator))
        coef = getattr(estimator, "coef_", None)
        if isinstance(coef, np.ndarray) and coef.ndim == 2:
            estimator.coef_ = np.asfortranarray(coef)
        for value in vars(estimator).values() if hasattr(estimator, "__dict__") else ():
            if hasattr(value, "get_params") or hasattr(value, "coef_"):
                visit(value, seen)
            elif isinstance(value, (list, tuple)):
                for item in value:
                    visit(item[-1] if isinstance(item, tuple) else item, seen)

    visit(pipeline, set())
    return pipeline


def read_labelled(path: Path) -> list[tuple[str, str]]:
    """(text, category code) rows of a labelled CSV with the header text,category_code."""
    with open(path, encoding="utf-8", newline="") as f:
        return [(row["text"].strip(), row["category_code"].strip())
                for row in csv.DictReader(f) if row["text"].strip()]


def corpus_files() -> list[Path]:
    """The shipped training files: the first labelled set and the corpus's train_*.csv (never
    its eval_*.csv)."""
    return [LABELLED_SET] + sorted(CORPUS_DIR.glob("train_*.csv"))


def corpus_pairs(paths: Iterable[Path] | None = None) -> list[tuple[str, str]]:
    """(text, code) of the shipped training corpus, first occurrence of a text kept."""
    pairs = {}
    for path in (corpus_files() if paths is None else paths):
        if path.name.startswith("eval_"):
            raise ValueError(f"{path.name} is evaluation data: never trained on")
        for text, code in read_labelled(path):
            pairs.setdefault(text, code)
    return list(pairs.items())


def read_eval(path: Path) -> list[tuple[str, str]]:
    """(text, code) of an evaluation file (columns text,category_code,ambiguous); [] if the
    file is not there."""
    return read_labelled(path) if path.exists() else []


def fingerprint(pairs: Iterable[tuple[str, str]], weights: Iterable[float] = (),
                extra: dict | None = None) -> str:
    """Identifies the training data and model settings (`extra`: the memory's): the same data
    is never trained twice."""
    digest = hashlib.sha256(repr(sorted(PARAMS.items())).encode())
    if extra:
        digest.update(repr(sorted(extra.items())).encode())
    weighted = dict(zip(pairs, weights, strict=False)) if weights else {}
    for text, code in sorted(pairs):
        weight = weighted.get((text, code), 1.0)
        digest.update((f"{code}\t{text}\n" if weight == 1.0 else
                       f"{code}\t{weight}\t{text}\n").encode())
    return digest.hexdigest()


def library_version() -> str:
    import sklearn

    return sklearn.__version__
