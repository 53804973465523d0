"""The desk's search box: a reference, a phone number or its last digits, or words of the text.

What the query looks like decides what is searched:

- a reference (the prefix and digits, `TS20261125000001`, or the start of one) → the reference;
- digits only (spaces and dashes allowed), three or more → the customer's phone number: all of
  it, or its last digits;
- anything else → words of the subject and description. Chinese is cut into words with jieba
  (the telecom dictionary of intake/classifier.py), every word must occur.

On PostgreSQL the text is indexed as its single characters and two-character grams (see
migration 0006): a one-character word is looked up as itself, a longer word as all of its
two-character grams, and a LIKE on those few candidates confirms the exact word. A word is
therefore found wherever it occurs, even across the boundaries jieba would cut the text at,
and one- and two-character words are as fast as longer ones. On other databases (SQLite in
development) the same words are matched with LIKE, without an index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, CharField, F, Func, Q, QuerySet, TextField, Value
from django.db.models.functions import Lower

from complaints.models import Customer
from intake.classifier import tokenizer

MAX_QUERY_LENGTH = 100
MAX_WORDS = 8
PHONE_DIGITS_MIN = 3
REFERENCE_LENGTH = len(settings.COMPLAINT_REFERENCE_PREFIX) + 14  # prefix, YYYYMMDD, 6 digits
_WORD = re.compile(r"[^\W_]+")
_PHONE = re.compile(r"^\+?[\d\s\-()（）]+$")
# Said between words; dropped from a query that has other words ("的" matches everything).
FILLERS = frozenset("的 了 吗 呢 吧 啊 和 与 及 是 在 也 就 都 又 被 把 给".split())


@dataclass(frozen=True)
class ParsedQuery:
    kind: str  # "reference", "phone", "text" or "" (nothing to search)
    value: str = ""
    words: tuple[str, ...] = field(default_factory=tuple)


def parse(query: str) -> ParsedQuery:
    """What the user typed, classified; no database access."""
    text = (query or "").strip()[:MAX_QUERY_LENGTH]
    if not text:
        return ParsedQuery("")
    prefix = settings.COMPLAINT_REFERENCE_PREFIX.upper()
    compact = text.replace(" ", "").upper()
    number = compact[len(prefix):]
    if compact.startswith(prefix) and number.isdigit():
        return ParsedQuery("reference", compact)
    if _PHONE.match(text):
        digits = re.sub(r"\D", "", text)
        if digits.startswith("86") and len(digits) == 13:
            digits = digits[2:]
        if len(digits) >= PHONE_DIGITS_MIN:
            return ParsedQuery("phone", digits)
    words = text_words(text)
    return ParsedQuery("text" if words else "", text, tuple(words))


def text_words(text: str) -> list[str]:
    """The words a text query asks for: jieba's cut of each part, lower case, letters and
    digits only, each once, at most MAX_WORDS."""
    words: list[str] = []
    for part in text.lower().split():
        for piece in _WORD.findall(part):
            for word in _cut(piece):
                for clean in _WORD.findall(word):
                    if clean not in words:
                        words.append(clean)
    meaningful = [w for w in words if w not in FILLERS]
    return (meaningful or words)[:MAX_WORDS]


def _cut(piece: str) -> list[str]:
    if not any("\u3400" <= ch <= "\u9fff" for ch in piece):
        return [piece]

    return [w for w in tokenizer().cut(piece) if w.strip()]


def grams(word: str) -> list[str]:
    """The index entries a word needs: itself if one character long, else its two-character
    grams (in order, each once)."""
    if len(word) == 1:
        return [word]
    seen: list[str] = []
    for i in range(len(word) - 1):
        gram = word[i:i + 2]
        if gram not in seen:
            seen.append(gram)
    return seen


def tsquery(words: list[str] | tuple[str, ...]) -> str:
    """A tsquery (cast with ::tsquery, not parsed) requiring every gram of every word."""
    all_grams: list[str] = []
    for word in words:
        for gram in grams(word):
            if gram not in all_grams:
                all_grams.append(gram)
    return " & ".join(f"'{g}'" for g in all_grams)


def complaint_search(queryset: QuerySet, query: str) -> QuerySet:
    """`queryset` narrowed to complaints matching `query` (unchanged if the query is empty)."""
    parsed = parse(query)
    if parsed.kind == "reference":
        if len(parsed.value) >= REFERENCE_LENGTH:
            return queryset.filter(reference=parsed.value)
        return queryset.filter(reference__startswith=parsed.value)
    if parsed.kind == "phone":
        return _phone(queryset, parsed.value)
    if parsed.kind == "text":
        return _text(queryset, parsed.words)
    return queryset


def _phone(queryset: QuerySet, digits: str) -> QuerySet:
    if len(digits) >= 11:
        return queryset.filter(customer__phone=digits)
    if connection.vendor == "postgresql":
        # The reversed number's btree (migration 0006) turns "ends with" into a range scan.
        customers = Customer.objects.alias(
            reversed_phone=Func(F("phone"), function="reverse", output_field=CharField())
        ).filter(reversed_phone__startswith=digits[::-1]).values("id")
        return queryset.filter(customer_id__in=customers)
    return queryset.filter(customer__phone__endswith=digits)


class SearchText(Func):
    """subject || ' ' || description: exactly the expression migration 0006 indexes."""

    template = "(%(expressions)s)"
    arg_joiner = " || ' ' || "
    output_field = TextField()

    def __init__(self):
        super().__init__(F("subject"), F("description"))


class GramsMatch(Func):
    """complaint_search_grams(text) @@ query::tsquery; the query is cast, not parsed again."""

    output_field = BooleanField()

    def __init__(self, query: str):
        super().__init__(SearchText(), Value(query))

    def as_sql(self, compiler, connection, **extra_context):
        text_sql, text_params = compiler.compile(self.source_expressions[0])
        query_sql, query_params = compiler.compile(self.source_expressions[1])
        return (f"complaint_search_grams({text_sql}) @@ ({query_sql})::tsquery",
                [*text_params, *query_params])


def _text(queryset: QuerySet, words: tuple[str, ...]) -> QuerySet:
    if connection.vendor != "postgresql":
        for word in words:
            queryset = queryset.filter(Q(subject__icontains=word) | Q(description__icontains=word))
        return queryset
    queryset = queryset.filter(GramsMatch(tsquery(words)))
    # Grams of a longer word may all occur without the word: confirm it on the candidates.
    longer = [w for w in words if len(w) > 2]
    if longer:
        queryset = queryset.alias(search_text=Lower(SearchText()))
        for word in longer:
            queryset = queryset.filter(search_text__contains=word)
    return queryset
