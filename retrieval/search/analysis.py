"""What a question asks about: its ideas in the forms a passage may use, weighted by how rare
they are, and the names and versions the corpus never mentions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from retrieval.index.bm25 import BM25Index
from retrieval.index.names import NameIndex
from retrieval.search.expansion import QueryExpander
from retrieval.text.english import spell_out, stem
from retrieval.text.tokens import (
    EN_STOPWORDS,
    ZH_STOPWORDS,
    chinese_tokens,
    fold,
    has_cjk,
    normalise,
    tokenize,
)

MAX_QUESTION_CHARS = 2000
MIN_STEM = 4  # an English word's stem counts as one of its forms from this length on
# "GPT-7", "Llama 4", "Opus 3.5", "o3", "GPT-4o": a name with a version.
VERSIONED_NAME = re.compile(r"\b([A-Za-z][A-Za-z]*)[\s-]?(\d+(?:\.\d+)?[a-z]?)\b")
MONTHS = {m.lower() for m in "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec Sept".split()}
# Capitalised words that name a time, not a thing the corpus should mention.
CALENDAR = set(
    """january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday""".split()
)
CAPITALISED = re.compile(r"\b[A-Z][A-Za-z0-9*]+\b")


# The texts judged against questions are passages and their sentences, quoted again and again.
_normalised = lru_cache(maxsize=2048)(normalise)


@dataclass(frozen=True)
class QueryAnalysis:
    text: str  # as asked (shown in the answer)
    search_text: str  # as searched: chat abbreviations spelled out
    is_chinese: bool
    tokens: tuple[str, ...]
    # Each group is one idea of the question in the forms it may take in a passage, weighted
    # by how rare it is in the corpus: "OpenAI" is everywhere, "通用验证器" is not.
    term_groups: tuple[frozenset[str], ...]
    weights: tuple[float, ...]
    entities: tuple[str, ...]
    missing_entities: tuple[str, ...]
    # Names with a version ("GPT-7", "Llama 4") that the corpus never mentions.
    missing_versions: tuple[str, ...] = ()
    # Each idea as the question words it ("reply", "Mark"), parallel to term_groups.
    ideas: tuple[str, ...] = ()

    def mentioned(self, text: str) -> tuple[bool, ...]:
        """For each of the question's ideas, whether a text mentions it in any of its forms."""
        norm = _normalised(text)
        return tuple(any(t in norm for t in group) for group in self.term_groups)

    def coverage(self, text: str) -> float:
        """Weighted share of the question's ideas that a text mentions (0 if it has none)."""
        return self._weighed(self.mentioned(text))

    def _weighed(self, mentioned: tuple[bool, ...]) -> float:
        total = sum(self.weights)
        found = sum(w for w, m in zip(self.weights, mentioned, strict=True) if m)
        return found / total if total else 0.0

    def judge(self, text: str) -> tuple[float, tuple[str, ...]]:
        """A text's coverage of the question and the ideas it does not mention."""
        mentioned = self.mentioned(text)
        unmatched = tuple(i for i, m in zip(self.ideas, mentioned, strict=True) if not m)
        return self._weighed(mentioned), unmatched


def _entity_forms(name: str, version: str) -> frozenset[str]:
    name, version = name.lower(), version.lower()
    return frozenset(
        {f"{name}-{version}", f"{name} {version}", f"{name}{version}", f"{version} {name}"}
    )


def _names_a_version(match: re.Match[str], names: NameIndex) -> bool:
    """Whether "<word> <number>" names a model: not a date ("October 2024", "fall 2025"), and
    written as a name (capitalised or joined: "Llama 4", "gpt5", "gpt-5") or a word the
    corpus itself uses with versions ("opus 3.5"); "like 3 to 4" is not one."""
    name, version = match.groups()
    if re.fullmatch(r"(19|20)\d\d", version) or name.lower()[:3] in MONTHS:
        return False
    joined = match.group() == name + version or "-" in match.group()
    if name[0].isupper() or joined:
        return True
    return names.names_versions(name)


def _present(forms: frozenset[str], names: NameIndex) -> bool:
    return any(names.mentions(form) for form in forms)


def analyse(question: str, names: NameIndex, expander: QueryExpander) -> QueryAnalysis:
    shown = question[:MAX_QUESTION_CHARS]
    chinese = has_cjk(shown)
    # "did oai walk away from msft" is searched as "did OpenAI walk away from Microsoft".
    text = shown if chinese else spell_out(shown)
    # Both name patterns run over the same folded text, so their spans can be compared.
    folded = fold(text)
    groups: list[tuple[str, frozenset[str]]] = []  # (the idea as asked, its forms)
    entities: list[str] = []
    missing: list[str] = []
    missing_versions: list[str] = []
    covered_spans: list[tuple[int, int]] = []

    for match in VERSIONED_NAME.finditer(folded):
        name, version = match.groups()
        if name.lower() in EN_STOPWORDS or not _names_a_version(match, names):
            continue
        forms = _entity_forms(name, version)
        label = match.group()
        entities.append(label)
        covered_spans.append(match.span())
        groups.append((label, forms))
        if not _present(forms, names):
            missing.append(label)
            missing_versions.append(label)
    first_word = re.search(r"[A-Za-z]", folded)
    for match in CAPITALISED.finditer(folded):
        word = match.group()
        # An English question's first word is capitalised by grammar, not because it is a name.
        if not chinese and first_word and match.start() == first_word.start():
            continue
        if any(a <= match.start() < b for a, b in covered_spans) or word.lower() in EN_STOPWORDS:
            continue
        if word.lower() in CALENDAR:
            continue
        forms = frozenset({word.lower(), *expander.expand(word)})
        entities.append(word)
        groups.append((word, forms))
        if not _present(forms, names):
            missing.append(word)
    named = {w.lower() for w in entities}
    if chinese:
        for token in dict.fromkeys(chinese_tokens(text)):
            if len(token) >= 2 and token not in ZH_STOPWORDS:
                groups.append((token, frozenset({token})))
    else:
        entity_text = " ".join(named)
        for word in dict.fromkeys(re.findall(r"[a-z][a-z0-9*.-]*", normalise(text))):
            if word in EN_STOPWORDS or word in entity_text or len(word) < 3:
                continue
            # Its stem too, so "takeaways" finds "takeaway" and "releasing" finds "released";
            # a stem too short to be telling ("us", "ran") is left out.
            root = stem(word) if word.isalpha() else word
            stems = {root} if len(root) >= MIN_STEM else set()
            groups.append((word, frozenset({word, *expander.expand(word)} | stems)))
    tokens = tokenize(text)
    if not chinese:
        tokens += [t for term in expander.expand(text) for t in tokenize(term)]
    # One entry per distinct set of forms: "GPT-5" and "gpt5" are one idea.
    unique: dict[frozenset[str], str] = {}
    for idea, forms in groups:
        if forms:
            unique.setdefault(forms, idea)
    term_groups = tuple(unique)
    return QueryAnalysis(
        shown,
        text,
        chinese,
        tuple(tokens),
        term_groups,
        _weights(term_groups, names.lexical),
        tuple(dict.fromkeys(entities)),
        tuple(dict.fromkeys(missing)),
        missing_versions=tuple(dict.fromkeys(missing_versions)),
        ideas=tuple(unique.values()),
    )


def _weights(groups: tuple[frozenset[str], ...], lexical: BM25Index) -> tuple[float, ...]:
    """Each idea's weight is its rarity in the corpus. An idea the corpus never mentions in any
    form would be the rarest of all; it weighs as much as the least rare known one instead: a
    question about what the corpus lacks is still judged short of it, but an odd word
    ("gonna", a typo) does not outweigh everything the quotes match."""
    rarity = [max((lexical.idf(form) for form in group), default=0.0) for group in groups]
    known = [any(lexical.in_corpus(form) for form in group) for group in groups]
    floor = min((r for r, k in zip(rarity, known, strict=True) if k), default=None)
    if floor is None:
        return tuple(rarity)
    return tuple(r if k else floor for r, k in zip(rarity, known, strict=True))
