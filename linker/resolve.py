"""Mentions to entities: label voting, propagation, short forms and cross-source clusters.

Pure functions: mentions in, clusters out.  No wiki, no spaCy.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from linker.model import Article, Mention
from linker.names import content_tokens, is_acronym, is_name_part, is_short_form, key

PLACE = {"GPE", "LOC", "FAC"}


def coarse(label: str) -> str:
    if label == "PERSON" or label == "NORP":
        return label
    return "THING"


@dataclass
class Cluster:
    """Mentions believed to name one thing; linking turns it into an Entity."""

    mentions: list[Mention] = field(default_factory=list)

    @property
    def forms(self) -> Counter:
        return Counter(m.text for m in self.mentions)

    @property
    def label(self) -> str:
        return Counter(m.label for m in self.mentions).most_common(1)[0][0]

    @property
    def name(self) -> str:
        """The fullest form: most tokens, then most frequent, then first seen."""
        forms = self.forms
        order = {f: i for i, f in reversed(list(enumerate(m.text for m in self.mentions)))}
        return max(forms, key=lambda f: (len(content_tokens(f)), forms[f], -order[f]))


def vote_labels(mentions: list[Mention]) -> list[Mention]:
    """Give every mention the majority label of its surface form across all sources."""
    votes: dict[str, Counter] = defaultdict(Counter)
    for m in mentions:
        votes[key(m.text)][m.label] += 1
    # A single word that is part of people's full names gets their votes too ("Lindqvist" of "Ada Lindqvist").
    singles = {k for k in votes if len(k.split()) == 1}
    for k, counter in list(votes.items()):
        if counter["PERSON"] and len(k.split()) > 1:
            for part in k.split():
                if part in singles:
                    votes[part]["PERSON"] += 2 * counter["PERSON"]
    out = []
    for m in mentions:
        best, n = votes[key(m.text)].most_common(1)[0]
        if best != m.label and n > votes[key(m.text)][m.label]:
            m = Mention(m.doc, m.start, m.end, m.text, best)
        out.append(m)
    return out


def propagate(articles: list[Article], per_doc: dict[str, list[Mention]]) -> dict[str, list[Mention]]:
    """Find further occurrences of every recognised name that NER missed.

    A name spaCy tagged somewhere is a name everywhere it appears verbatim
    (with word boundaries; hyphens count as boundaries).
    """
    surfaces: dict[str, Counter] = defaultdict(Counter)
    for ms in per_doc.values():
        for m in ms:
            if len(m.text) >= 2 and m.text[:1].isupper():
                surfaces[m.text][m.label] += 1
    # A person's surname alone names them too ("Moreau" after "Jane Moreau").
    for text, labels in list(surfaces.items()):
        words = text.split()
        if labels["PERSON"] and len(words) >= 2 and len(words[-1]) >= 3 and words[-1][:1].isupper():
            surname = words[-1]
            if surname not in surfaces:
                surfaces[surname]["PERSON"] += 1
    if not surfaces:
        return per_doc
    # Names by their first word, longest first: each word of a text is tried against the names that
    # begin with it (a regular expression of thousands of alternatives is tried at every character).
    by_first: dict[str, list[str]] = defaultdict(list)
    for n in sorted(surfaces, key=len, reverse=True):
        first = WORD.match(n)
        if first:
            by_first[first.group()].append(n)
    # Only the words that begin with the first letter of a name are walked; the regular expression passes
    # over the rest (most of a text) in C. Each word it finds is the whole word, as r"(?<!\w)\w+" finds it.
    letters = "".join(sorted({re.escape(w[0]) for w in by_first}))
    starts = re.compile(r"(?<!\w)[" + letters + r"]\w*" if letters else r"(?!)")
    out: dict[str, list[Mention]] = {}
    for article in articles:
        text = article.text
        found = sorted(per_doc.get(article.doc, []), key=lambda m: m.start)
        extra = []
        # Matches come in text order: one walk along the sorted mentions finds overlaps (linear, not pairwise).
        i, last_end, reach = 0, -1, []
        for m in found:
            reach.append(max(m.end, reach[-1]) if reach else m.end)  # the furthest end so far
        for word in starts.finditer(text):
            s = word.start()
            if s < last_end or word.group() not in by_first:
                continue
            hit = next((n for n in by_first[word.group()] if text.startswith(n, s) and not _word_char_at(text, s + len(n))), None)
            if hit is None:
                continue
            e = last_end = s + len(hit)  # a name found is passed over, whether it is taken or not
            while i < len(found) and reach[i] <= s:
                i += 1
            if i < len(found) and found[i].start < e:
                continue
            extra.append(Mention(article.doc, s, e, hit, surfaces[hit].most_common(1)[0][0]))
        out[article.doc] = sorted(found + extra, key=lambda m: m.start)
    return out


WORD = re.compile(r"\w+")


def _word_char_at(text: str, pos: int) -> bool:
    return pos < len(text) and WORD.match(text, pos) is not None


@lru_cache(maxsize=200_000)
def _can_shorten(text: str, short_label: str, long: str, long_label: str) -> bool:
    if long_label == "PERSON" and short_label != "NORP" and is_name_part(text, long):
        return True  # "Moreau" after "Jane Moreau", whatever label spaCy gave the surname
    if coarse(short_label) != coarse(long_label):
        return False
    if short_label == "PERSON":
        return is_short_form(text, long)
    if is_acronym(text, long):
        return True
    # Single common words of places and things ("Ruritania" in "South Ruritania Basin") are not short forms.
    return len(content_tokens(text)) >= 2 and is_short_form(text, long)


def cluster_key(form: str, label: str) -> str:
    """Names that are the same name: "KestrelLabs", "Kestrellabs" and "Kestrel Labs"; "Ruritanian" and "Ruritanians" for peoples."""
    toks = content_tokens(form)
    k = "".join(toks)
    if label == "NORP" and len(k) > 4 and k.endswith("s") and len(toks) == 1:
        k = k[:-1]
    return k


def shortens(text: str, label: str, long: str, long_label: str, defined: frozenset = frozenset()) -> bool:
    """Whether `text` is a short form of `long`: by the rules of names, or defined so in the text
    (`defined` holds (short, long) pairs such as an abbreviation in brackets after its name)."""
    return (text, long) in defined or _can_shorten(text, label, long, long_label)


@lru_cache(maxsize=200_000)
def _shortens_any(text: str, label: str, forms: tuple[str, ...], long_label: str, defined: frozenset) -> bool:
    """Whether `text` shortens any of one group's forms (the articles of a story share their groups: asked once)."""
    return any(shortens(text, label, f, long_label, defined) for f in forms)


def cluster_doc(mentions: list[Mention], defined: frozenset = frozenset()) -> list[Cluster]:
    """Within one article, tie short and variant names to the full name used there."""
    forms: dict[str, tuple[str, int]] = {}  # form -> (label, first offset)
    for m in mentions:
        forms.setdefault(m.text, (m.label, m.start))
    groups: list[tuple[tuple[str, ...], str, int]] = []  # (forms, label of the full name, first offset)
    group_of: dict[str, int] = {}
    # Longest forms first so short forms find their full names.
    for form in sorted(forms, key=lambda f: (-len(content_tokens(f)), forms[f][1])):
        label, first = forms[form]
        k = cluster_key(form, label)
        if k in group_of:
            continue
        targets = [i for i, (fs, glabel, _) in enumerate(groups) if _shortens_any(form, label, fs, glabel, defined)]
        if targets:
            # The nearest full name mentioned before, else the first one after.
            before = [i for i in targets if groups[i][2] <= first]
            target = max(before, key=lambda i: groups[i][2]) if before else targets[0]
            fs, glabel, at = groups[target]
            groups[target] = (fs + (form,), glabel, at)
        else:
            target = len(groups)
            groups.append(((form,), label, first))
        group_of[k] = target
    clusters = [Cluster() for _ in groups]
    for m in mentions:
        clusters[group_of[cluster_key(m.text, forms[m.text][0])]].mentions.append(m)
    return [c for c in clusters if c.mentions]


def _block_keys(name: str, short: bool) -> set[str]:
    """Keys a short name shares with every longer name it can stand for (see `token_match`): the
    same token; a token one letter away (both give the same token with one letter left out); a
    compound's tail (the long side keys every tail of 4 letters or more); and an acronym's letters
    (the long side keys its initials).  An initial ("J.") needs no key: the rest of the name has one."""
    keys = set()
    for tok in content_tokens(name):
        keys.add("t" + tok)
        if len(tok) >= 4:
            keys.update("d" + tok[:i] + tok[i + 1 :] for i in range(len(tok)))
            keys.add("d" + tok)
            if short:
                keys.add("e" + tok)
            else:
                keys.update("e" + tok[-k:] for k in range(4, len(tok) + 1))
    letters = re.sub(r"[^A-Za-z]", "", name)
    if short:
        if name.replace(".", "").isupper() and len(letters) >= 2:
            keys.add("a" + letters.upper())
    else:
        initials = "".join(w[0] for w in re.split(r"[\s\-]+", name) if w and w[0].isupper()).upper()
        if len(initials) >= 2:
            keys.add("a" + initials)
    return keys


def cluster_corpus(per_doc: dict[str, list[Mention]], defined: frozenset = frozenset()) -> list[Cluster]:
    """Across sources: one cluster per real-world thing, by full names and unique short forms."""
    doc_clusters = [c for ms in per_doc.values() for c in cluster_doc(ms, defined)]
    merged: dict[tuple[str, str], Cluster] = {}
    for c in doc_clusters:
        label = c.label
        k = (coarse(label), cluster_key(c.name, label))
        if k in merged:
            merged[k].mentions.extend(c.mentions)
        else:
            merged[k] = Cluster(list(c.mentions))
    info = {id(c): (c.name, c.label, [f for f in c.forms if len(content_tokens(f)) > 1]) for c in merged.values()}
    ordered = sorted(merged.values(), key=lambda c: -len(content_tokens(info[id(c)][0])))
    final: list[Cluster] = []
    # Which kept clusters a name could shorten, found through keys the two names share (linear
    # in the clusters, not every pair): see `_block_keys`.
    index: dict[str, list[int]] = defaultdict(list)
    defined_long = defaultdict(set)
    for short, long in defined:
        defined_long[short].add(long)
    for c in ordered:
        name, label, _ = info[id(c)]
        near = {i for k in _block_keys(name, short=True) for i in index.get(k, ())}
        near.update(i for long in defined_long.get(name, ()) for i in index.get("=" + long, ()))
        targets = []
        for i in sorted(near):
            t = final[i]
            t_name, t_label, t_long = info[id(t)]
            if shortens(name, label, t_name, t_label, defined) or (label == "PERSON" and any(_can_shorten(name, label, f, t_label) for f in t_long)):
                targets.append(t)
        if len(targets) == 1:
            targets[0].mentions.extend(c.mentions)
        else:
            final.append(c)
            t_name, _, t_long = info[id(c)]
            for k in {"=" + t_name, *(k for f in (t_name, *t_long) for k in _block_keys(f, short=False))}:
                index[k].append(len(final) - 1)
    for c in final:
        c.mentions.sort(key=lambda m: (m.doc, m.start))
    return final
