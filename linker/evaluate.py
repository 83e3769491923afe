"""Scoring linked entities against a gold file (one JSON mention a line)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from linker.model import Entity, Page


class GoldError(ValueError):
    """The gold file cannot be read."""


@dataclass(frozen=True)
class GoldMention:
    doc: str
    start: int
    end: int
    text: str
    label: str
    title: str | None
    alt_titles: tuple[str, ...] = ()

    @property
    def titles(self) -> set[str]:
        return {self.title, *self.alt_titles} if self.title else set()


def read_gold(path: str | Path) -> list[GoldMention]:
    out = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise GoldError(f"cannot read gold file {path}: {err}") from err
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            out.append(GoldMention(d["doc"], int(d["start"]), int(d["end"]), d["text"], d["label"], d.get("title"), tuple(d.get("alt_titles", []))))
        except (ValueError, KeyError, TypeError) as err:
            raise GoldError(f"{path}:{n}: not a gold mention line ({err})") from err
    return out


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def direct_titles(source, gold: list[GoldMention]) -> dict[str, str | None]:
    """The page each gold surface text reaches by title or redirect alone (None: none, or a list page)."""
    looked = source.lookup({g.text for g in gold})
    return {t: (r.title if isinstance(r, Page) and not r.missing and not r.disambiguation else None) for t, r in looked.items()}


def score(entities: list[Entity], gold: list[GoldMention], direct_titles: dict[str, str | None] | None = None) -> dict:
    """Link precision/recall/F1, NIL accuracy, B-cubed F1, the hard-mention share and the errors.

    `direct_titles` maps a surface text to the page it reaches by title or
    redirect alone; gold mentions that do not reach their page that way are "hard".
    """
    docs = {g.doc for g in gold}
    predicted = [(m, e) for e in entities for m in e.mentions if m.doc in docs]
    by_doc: dict[str, list] = defaultdict(list)
    for m, e in predicted:
        by_doc[m.doc].append((m, e))
    gold_by_doc: dict[str, list[GoldMention]] = defaultdict(list)
    for g in gold:
        gold_by_doc[g.doc].append(g)

    tp = 0
    linked_pred = [(m, e) for m, e in predicted if e.title]
    for m, e in linked_pred:
        hits = [g for g in gold_by_doc[m.doc] if _overlaps(m.start, m.end, g.start, g.end)]
        tp += any(e.title in g.titles for g in hits)
    gold_linked = [g for g in gold if g.title]
    found = 0
    hard_total = hard_right = 0
    for g in gold_linked:
        hits = [(m, e) for m, e in by_doc[g.doc] if _overlaps(m.start, m.end, g.start, g.end)]
        right = any(e.title in g.titles for _, e in hits)
        found += right
        if direct_titles is not None and direct_titles.get(g.text) not in g.titles:
            hard_total += 1
            hard_right += right
    nil = [g for g in gold if not g.title]
    nil_right = sum(1 for g in nil if not any(e.title for m, e in by_doc[g.doc] if _overlaps(m.start, m.end, g.start, g.end)))
    precision = tp / len(linked_pred) if linked_pred else 0.0
    recall = found / len(gold_linked) if gold_linked else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    # B-cubed over gold-linked mentions: predicted cluster = entity of the overlapping mention.
    assign = []
    for n, g in enumerate(gold_linked):
        hits = [e.id for m, e in by_doc[g.doc] if _overlaps(m.start, m.end, g.start, g.end)]
        assign.append((g.title, hits[0] if hits else f"_missing{n}"))
    gold_sizes = Counter(t for t, _ in assign)
    pred_sizes = Counter(p for _, p in assign)
    both = Counter(assign)
    bp = sum(both[(t, p)] / pred_sizes[p] for t, p in assign) / len(assign) if assign else 0.0
    br = sum(both[(t, p)] / gold_sizes[t] for t, p in assign) / len(assign) if assign else 0.0
    b3 = 2 * bp * br / (bp + br) if bp + br else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "nil_accuracy": round(nil_right / len(nil), 4) if nil else 1.0,
        "b3_precision": round(bp, 4),
        "b3_recall": round(br, 4),
        "b3_f1": round(b3, 4),
        "hard_accuracy": round(hard_right / hard_total, 4) if hard_total else None,
        "hard_mentions": hard_total,
        "gold_mentions": len(gold),
        "predicted_links": len(linked_pred),
        "errors": errors(predicted, gold_by_doc),
    }


ERROR_KINDS = ("wrong page", "left NIL", "linked where gold is NIL", "missed span", "wrong span")


def errors(predicted: list, gold_by_doc: dict[str, list[GoldMention]]) -> list[dict]:
    """Every wrong mention once, with its kind (one of ERROR_KINDS).

    A gold mention is judged by the predicted mentions overlapping it: none is
    a missed span; a right page anywhere among them is right; otherwise other
    boundaries make it a wrong span, no page "left NIL", another page "wrong
    page", and a page where gold says there is none "linked where gold is NIL".
    A linked prediction overlapping no gold mention is a wrong span too.
    """
    out = []
    by_doc: dict[str, list] = defaultdict(list)
    for m, e in predicted:
        by_doc[m.doc].append((m, e))
    for doc, golds in gold_by_doc.items():
        for g in golds:
            hits = [(m, e) for m, e in by_doc[doc] if _overlaps(m.start, m.end, g.start, g.end)]
            linked = [(m, e) for m, e in hits if e.title]
            if not g.title:
                kind = "linked where gold is NIL" if linked else None
            elif not hits:
                kind = "missed span"
            elif any(e.title in g.titles for _, e in hits):
                kind = None
            elif not any((m.start, m.end) == (g.start, g.end) for m, _ in hits):
                kind = "wrong span"
            else:
                kind = "wrong page" if linked else "left NIL"
            if kind:
                got = linked[0] if linked else hits[0] if hits else None
                out.append(
                    {
                        "kind": kind,
                        "doc": doc,
                        "start": g.start,
                        "end": g.end,
                        "text": g.text,
                        "gold": g.title,
                        "predicted": got[1].title if got else None,
                        "predicted_text": got[0].text if got else None,
                    }
                )
    for doc, pairs in by_doc.items():
        for m, e in pairs:
            if e.title and not any(_overlaps(m.start, m.end, g.start, g.end) for g in gold_by_doc.get(doc, [])):
                out.append(
                    {
                        "kind": "wrong span",
                        "doc": doc,
                        "start": m.start,
                        "end": m.end,
                        "text": m.text,
                        "gold": None,
                        "predicted": e.title,
                        "predicted_text": m.text,
                    }
                )
    out.sort(key=lambda x: (ERROR_KINDS.index(x["kind"]), x["doc"], x["start"]))
    return out


def errors_by_kind(found: list[dict]) -> dict[str, list[dict]]:
    return {k: [e for e in found if e["kind"] == k] for k in ERROR_KINDS if any(e["kind"] == k for e in found)}
