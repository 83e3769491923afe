"""Fitting the scorer: L2-regularised logistic regression over candidate features, and a NIL threshold.

Training data are clusters of mentions from stories with gold links: every
candidate page of a cluster is a row (features of :data:`linker.link.FEATURES`),
labelled 1 when it is the cluster's gold page.  The weights come from Newton's
method (iteratively reweighted least squares); the threshold is the one that
maximises mention-level link F1 on the training clusters when each takes its
most probable candidate.  Plain numpy, deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from linker.link import FEATURES, Model

L2 = 1.0


@dataclass
class Example:
    """One cluster: its candidates' feature rows, which is gold (or -1 for none), and its mention count."""

    rows: list[dict[str, float]]
    titles: list[str]
    gold: str | None
    weight: int


def fit_weights(examples: list[Example], l2: float = L2, iterations: int = 50) -> tuple[np.ndarray, float]:
    xs, ys = [], []
    for ex in examples:
        for title, row in zip(ex.titles, ex.rows):
            xs.append([row.get(f, 0.0) for f in FEATURES])
            ys.append(1.0 if title == ex.gold else 0.0)
    if not xs or len(set(ys)) < 2:
        raise ValueError("need positive and negative candidates to fit")
    x = np.hstack([np.ones((len(xs), 1)), np.asarray(xs, dtype=float)])
    y = np.asarray(ys)
    w = np.zeros(x.shape[1])
    reg = np.eye(x.shape[1]) * l2
    reg[0, 0] = 0.0  # the intercept is not shrunk
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -50, 50)))
        grad = x.T @ (p - y) + reg @ w
        hess = (x * (p * (1 - p))[:, None]).T @ x + reg
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return w[1:], float(w[0])


def decide(model: Model, ex: Example, threshold: float | None = None) -> tuple[str | None, float]:
    if not ex.rows:
        return None, 0.0
    scored = sorted(((model.probability(r), t) for r, t in zip(ex.rows, ex.titles)), key=lambda s: (-s[0], s[1]))
    p, title = scored[0]
    t = model.threshold if threshold is None else threshold
    return (title if p >= t else None), p


def f1_at(model: Model, examples: list[Example], threshold: float) -> float:
    tp = linked = gold = 0
    for ex in examples:
        title, _ = decide(model, ex, threshold)
        if title is not None:
            linked += ex.weight
            tp += ex.weight if title == ex.gold else 0
        if ex.gold is not None:
            gold += ex.weight
    precision = tp / linked if linked else 0.0
    recall = tp / gold if gold else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def best_threshold(model: Model, examples: list[Example]) -> float:
    """The middle of the widest run of thresholds with the best F1."""
    probs = sorted({round(decide(model, ex, 0.0)[1], 6) for ex in examples if ex.rows})
    cuts = [0.0] + [(a + b) / 2 for a, b in zip(probs, probs[1:])] + [1.0]
    scores = [f1_at(model, examples, c) for c in cuts]
    top = max(scores)
    best = [c for c, s in zip(cuts, scores) if s >= top - 1e-9]
    return (best[0] + best[-1]) / 2 if len(best) > 1 else best[0]


def fit(examples: list[Example], meta: dict | None = None, l2: float = L2) -> Model:
    coef, intercept = fit_weights(examples, l2)
    model = Model(tuple(float(c) for c in coef), intercept, 0.5)
    threshold = best_threshold(model, examples)
    return Model(model.coef, model.intercept, threshold, dict(meta or {}))
