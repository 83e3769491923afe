"""Comparing names: short forms, misspellings, acronyms and page titles.

Pure functions over strings, shared by the within-article resolution, the
cross-source clustering and the candidate scoring.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from functools import lru_cache

TOKEN = re.compile(r"[^\W_]+(?:['’.][^\W_]+)*\.?", re.UNICODE)
QUALIFIER = re.compile(r"\s*\([^)]*\)\s*$")
STOP = {"the", "of", "and", "for", "in", "on", "at", "to", "a", "an", "de", "la", "le", "du", "von", "van"}


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case, strip accents, unify apostrophes and dashes."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.replace("’", "'").replace("–", "-").replace("—", "-").lower()


@lru_cache(maxsize=65536)
def tokens(text: str) -> tuple[str, ...]:
    """Folded word tokens; hyphens separate tokens, dots of initials are dropped."""
    return tuple(t.rstrip(".").replace(".", "") for t in TOKEN.findall(fold(text).replace("-", " ")))


@lru_cache(maxsize=65536)
def content_tokens(text: str) -> tuple[str, ...]:
    return tuple(t for t in tokens(text) if t not in STOP)


def base_title(title: str) -> str:
    """A page title without its "(qualifier)" and leading article: "The Citadel (fort)" -> "Citadel"."""
    title = QUALIFIER.sub("", title)
    title = title.split(",")[0] if re.search(r",\s*[A-Z]", title) else title
    return re.sub(r"^(the|a|an)\s+", "", title, flags=re.I).strip()


def key(text: str) -> str:
    """Comparison key for a whole name."""
    return " ".join(content_tokens(text))


def similar(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b).ratio()


def token_match(short: str, long: str) -> bool:
    """One token standing for another: equal, an initial, a misspelling or a compound's tail."""
    if short == long:
        return True
    if len(short) == 1:
        return long.startswith(short)
    if len(short) >= 4 and len(long) >= 4 and similar(short, long) >= 0.8:
        return True
    return len(short) >= 4 and long.endswith(short)


def is_short_form(short: str, long: str) -> bool:
    """Does `short` name the same thing as the longer name `long`?

    "Moreau" / "Jane Moreau", "Jayne Moreau" / "Jane K. Moreau",
    "Harbour Lighthouse" / "Old Harbour Lighthouse", "NOC" / "Nordic Ocean Council".
    """
    few, many = content_tokens(short), content_tokens(long)
    if not few or not many or few == many:
        return bool(few) and few == many
    if len(few) == 1 and is_acronym(short, long):
        return True
    if len(few) > len(many):
        return False
    # Every short token matches a long token, in order.
    i = 0
    for tok in few:
        while i < len(many) and not token_match(tok, many[i]):
            i += 1
        if i == len(many):
            return False
        i += 1
    return True


def is_name_part(short: str, long: str) -> bool:
    """A person's surname or first name alone: "Moreau" / "Jane Moreau", "Jane" / "Jane Moreau"."""
    few, many = content_tokens(short), content_tokens(long)
    return len(few) == 1 and len(many) >= 2 and len(few[0]) >= 2 and few[0] in (many[0], many[-1])


def straight(form: str) -> str:
    """Curly apostrophes and quotes as straight ones: in names they are the same character."""
    return form.translate(str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'}))


def undotted(form: str) -> str:
    """An acronym without its dots: "U.K." -> "UK", "E.U. Council" -> "EU Council"."""
    return re.sub(r"\b(?:[A-Z]\.){2,}", lambda m: m.group().replace(".", ""), form)


def is_acronym(short: str, long: str) -> bool:
    letters = re.sub(r"[^A-Za-z]", "", short)
    if len(letters) < 2 or not short.replace(".", "").isupper():
        return False
    words = [w for w in re.split(r"[\s\-]+", long) if w and w[0].isupper()]
    return "".join(w[0] for w in words).upper() == letters.upper()


def person_compatible(name: str, title: str) -> bool:
    """Could a person called `name` be the subject of page `title`?

    The family name must match and any given name must agree (allowing for
    initials and misspellings), given name first or family name first.
    """
    n, t = content_tokens(name), content_tokens(base_title(title))
    if not n or not t:
        return False
    if len(n) == 1:
        return any(token_match(n[0], x) for x in (t[0], t[-1]))
    if is_short_form(name, base_title(title)) or is_short_form(base_title(title), name):
        # Same family name position, compatible given names.
        return token_match(n[-1], t[-1]) or token_match(n[0], t[0])
    return False


def squash(text: str) -> str:
    """A name with case, accents, spaces, dots and hyphens gone: "Kestrel Labs", "KestrelLabs", "U.K." -> "kestrellabs", "uk"."""
    return re.sub(r"[^\w]|_", "", fold(text))


def name_scores(forms: list[str], title: str, aliases: list[str]) -> tuple[float, float]:
    """How well the forms match a page's title or redirects, 0..1: (the page's name covers a form, only part of one).

    "Moreau" against "Jane Moreau" is covered (the title is the fuller name);
    "Jane Moreau" against "Moreau" is partial (the title drops words of the name).
    """
    cover, partial, _ = name_match(forms, title, aliases)
    return cover, partial


def name_match(forms: list[str], title: str, aliases: list[str]) -> tuple[float, float, float]:
    """(covered, partial, overlap): as :func:`name_scores`, plus names that only share some words."""
    names = [base_title(title)] + [base_title(a) for a in aliases]
    cover = partial = overlap = 0.0
    for form in forms:
        fk = content_tokens(form)
        if not fk:
            continue
        for n in names:
            nk = content_tokens(n)
            if not nk:
                continue
            if fk == nk or squash(form) == squash(n):
                return 1.0, 0.0, 0.0
            ratio = min(len(fk), len(nk)) / max(len(fk), len(nk))
            if is_short_form(form, n):
                cover = max(cover, 0.6 + 0.35 * ratio)
            elif is_short_form(n, form):
                partial = max(partial, 0.6 + 0.35 * ratio)
            else:
                shared = len(set(fk) & set(nk))
                if shared:
                    overlap = max(overlap, shared / len(set(fk) | set(nk)))
    return cover, partial, overlap


def name_score(forms: list[str], title: str, aliases: list[str]) -> float:
    """How well the entity's surface forms match a page's title or its redirects, 0..1."""
    return max(name_scores(forms, title, aliases))


# English derivations of a people's word from its place's name: (ending of the word, endings of the place).
DEMONYM_ENDINGS = (
    ("ian", ("", "y", "ia", "a")),
    ("an", ("", "a", "o", "y")),
    ("ese", ("", "a")),
    ("ish", ("ey", "and", "land", "eland", "en", "ain")),
    ("ine", ("ina",)),
    ("ic", ("",)),
    ("i", ("",)),
)


def place_names(word: str) -> list[str]:
    """The place names a people's word may come from: "Ruritanian" -> "Ruritania", "Ruritany", ...

    English morphology only (no list of countries): the guesses are looked up
    as titles, and a guess that is no place page is no candidate.
    """
    if " " in word.strip() or len(word) < 5 or not word[:1].isupper():
        return []
    stems = [word]
    if word.endswith("s") and word[:-1].endswith(("an", "i")):
        stems.append(word[:-1])
    out: list[str] = []
    for w in stems:
        for ending, places in DEMONYM_ENDINGS:
            if w.endswith(ending) and len(w) - len(ending) >= 3:
                out += [w[: len(w) - len(ending)] + p for p in places]
                break
    return [g for g in dict.fromkeys(out) if g != word]


def demonym_of(form: str, title: str, aliases: list[str]) -> bool:
    """ "Ruritanian" / "Ruritania", "Dutch" / "Kingdom of the Netherlands": a people's word and its place."""
    ft = content_tokens(form)
    if len(ft) != 1 or len(ft[0]) < 5:
        return False
    word = ft[0]
    guesses = {squash(g) for g in place_names(form.strip())}
    for name in [base_title(title)] + [base_title(a) for a in aliases]:
        if squash(name) in guesses:
            return True
        toks = content_tokens(name)
        for tok in toks[-1:]:
            if len(tok) < 4 or tok == word:
                continue
            common = 0
            for a, b in zip(word, tok):
                if a != b:
                    break
                common += 1
            if common >= 4 and common >= 0.8 * len(tok):
                return True
    return False
