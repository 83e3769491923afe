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


def fold(text: str) -> str:
    """Lower-case, strip accents, unify apostrophes and dashes."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.replace("’", "'").replace("–", "-").replace("—", "-").lower()


@lru_cache(maxsize=65536)
def tokens(text: str) -> tuple[str, ...]:
    """Folded word tokens; hyphens separate tokens, dots of initials are dropped."""
    return tuple(t.rstrip(".").replace(".", "") for t in TOKEN.findall(fold(text).replace("-", " ")))


def content_tokens(text: str) -> tuple[str, ...]:
    return tuple(t for t in tokens(text) if t not in STOP)


def base_title(title: str) -> str:
    """A page title without its "(qualifier)" and leading article: "The Pentagon" -> "Pentagon"."""
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

    "Blinken" / "Antony Blinken", "Anthony Blinken" / "Antony J. Blinken",
    "State House" / "Diaoyutai State Guesthouse", "APEC" / "Asia-Pacific Economic Cooperation".
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


def is_acronym(short: str, long: str) -> bool:
    letters = re.sub(r"[^A-Za-z]", "", short)
    if len(letters) < 2 or not short.replace(".", "").isupper():
        return False
    words = [w for w in re.split(r"[\s\-]+", long) if w and w[0].isupper()]
    return "".join(w[0] for w in words).upper() == letters.upper()


def person_compatible(name: str, title: str) -> bool:
    """Could a person called `name` be the subject of page `title`?

    The family name must match and any given name must agree (allowing for
    initials and misspellings), in either Western or Chinese name order.
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


def name_score(forms: list[str], title: str, aliases: list[str]) -> float:
    """How well the entity's surface forms match a page's title or its redirects, 0..1."""
    names = [base_title(title)] + [base_title(a) for a in aliases]
    best = 0.0
    for form in forms:
        fk = content_tokens(form)
        if not fk:
            continue
        for n in names:
            nk = content_tokens(n)
            if not nk:
                continue
            if fk == nk:
                return 1.0
            if is_short_form(form, n) or is_short_form(n, form):
                covered = min(len(fk), len(nk)) / max(len(fk), len(nk))
                best = max(best, 0.6 + 0.35 * covered)
                continue
            shared = len(set(fk) & set(nk))
            if shared:
                best = max(best, 0.6 * shared / len(set(fk) | set(nk)))
    return best


def demonym_of(form: str, title: str, aliases: list[str]) -> bool:
    """"Chinese" / "China", "American" / "United States of America": a people's word and its place."""
    ft = content_tokens(form)
    if len(ft) != 1 or len(ft[0]) < 5:
        return False
    word = ft[0]
    for name in [base_title(title)] + [base_title(a) for a in aliases]:
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
