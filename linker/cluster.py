"""Annotation beyond one machine: spaCy on the workers of a Dask distributed cluster.

The driver (``gloss warm --scheduler ADDRESS``) sends batches of article texts;
each worker runs the same spaCy pipeline and returns the mentions as plain JSON
(offsets and labels).  Only the driver talks to the wiki and writes the cache, so
the wiki's politeness limits hold however many workers there are.  Workers must
run the same gloss and the same model version as the driver: that is checked first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from linker.model import Article, Mention

BATCH_CHARS = 200_000  # text per task: big enough to keep a worker busy, small enough to spread


class ClusterError(RuntimeError):
    """The cluster cannot be used; the message says why."""


def worker_versions(model: str) -> tuple[str, str]:
    """(gloss version, model version) where this runs: on a worker, what it would annotate with."""
    from cache.library import model_version
    from linker import __version__

    return __version__, model_version(model)


def annotate_batch(items: list[tuple[str, str]], model: str) -> list[list[dict]]:
    """On a worker: the mentions of each (doc, text), as JSON-ready dicts."""
    from linker.ner import annotate_texts

    articles = [Article(doc=doc, text=text, title="") for doc, text in items]
    return [[{"start": m.start, "end": m.end, "label": m.label} for m in ms] for ms in annotate_texts(articles, model)]


def batches(articles: list[Article], limit: int = BATCH_CHARS) -> list[list[int]]:
    """Indexes of the articles, in order, cut into batches of about `limit` characters."""
    out: list[list[int]] = []
    size = 0
    for i, a in enumerate(articles):
        if not out or size + len(a.text) > limit:
            out.append([])
            size = 0
        out[-1].append(i)
        size += len(a.text)
    return out


def annotate_on_cluster(
    articles: list[Article], model: str, address: str, progress: Callable[[int], None] | None = None, timeout: float = 10.0
) -> Iterator[tuple[int, list[Mention]]]:
    """Yield (index, mentions) for every article, in order, from batches the cluster's workers annotate in parallel."""
    try:
        from distributed import Client
    except ImportError as err:
        raise ClusterError("--scheduler needs Dask distributed: pip install 'distributed'") from err
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as err:
        raise ClusterError(f"cannot reach the Dask scheduler at {address} ({err})") from None
    try:
        workers = client.run(worker_versions, model)
        if not workers:
            raise ClusterError(f"the Dask scheduler at {address} has no workers")
        mine = worker_versions(model)
        odd = {w: v for w, v in workers.items() if tuple(v) != mine}
        if odd:
            w, v = next(iter(odd.items()))
            raise ClusterError(
                f"{len(odd)} of {len(workers)} workers run other versions (e.g. {w}: gloss {v[0]}, model {v[1]}; "
                f"here: gloss {mine[0]}, model {mine[1]}): install the same gloss and model on every worker"
            )
        groups = batches(articles)
        futures = {client.submit(annotate_batch, [(articles[i].doc, articles[i].text) for i in group], model, pure=False): group for group in groups}
        for future, group in futures.items():  # all were submitted at once: they run in parallel, arrive in order
            for i, found in zip(group, future.result()):
                a = articles[i]
                yield i, [Mention(a.doc, m["start"], m["end"], a.text[m["start"] : m["end"]], m["label"]) for m in found]
            if progress:
                progress(len(group))
    finally:
        client.close()
