"""Annotation on a Dask distributed cluster: the same mentions as one process, the wiki touched only here."""

from __future__ import annotations

import json

import pytest

from tests.conftest import SAMPLES, gloss, gloss_proc

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def scheduler():
    """A local cluster of 2 worker processes, started by the test (as `dask scheduler` + `dask worker` would be)."""
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40)
    yield cluster.scheduler_address
    cluster.close()


def annotations(cache) -> dict:
    from cache.store import Store

    store = Store(cache)
    try:
        return {k.split("|", 1)[0]: v for kind, k, v, _ in store.entries(kinds=("annotation",))}
    finally:
        store.close()


def test_warm_on_a_dask_cluster_gives_the_same_mentions_and_links(tmp_path, wiki, scheduler):
    here, there = tmp_path / "local", tmp_path / "cluster"
    gloss("warm", str(SAMPLES), "--jobs", "1", "--wiki-api", wiki.url, "--cache-dir", str(here), check=True)
    before = wiki.stats.requests
    code, out, err = gloss("warm", str(SAMPLES), "--scheduler", scheduler, "--wiki-api", wiki.url, "--cache-dir", str(there))
    assert code == 0, err
    assert annotations(there) == annotations(here) and len(annotations(here)) == 5
    one = json.loads(gloss("entities", str(SAMPLES), "--json", "--offline", "--wiki-api", wiki.url, "--cache-dir", str(here))[1])
    two = json.loads(gloss("entities", str(SAMPLES), "--json", "--offline", "--wiki-api", wiki.url, "--cache-dir", str(there))[1])
    assert [(e["name"], e["title"]) for e in one["entities"]] == [(e["name"], e["title"]) for e in two["entities"]]
    assert wiki.stats.requests > before  # the driver fetched for the cluster run


def test_an_unreachable_scheduler_is_one_clear_line(tmp_path):
    code, out, err = gloss("warm", str(SAMPLES), "--scheduler", "tcp://127.0.0.1:9", "--offline", "--cache-dir", str(tmp_path / "c"))
    assert code == 2 and "cannot reach the Dask scheduler" in err and "Traceback" not in err
    r = gloss_proc("warm", str(SAMPLES), "--scheduler", "not an address")
    assert r.returncode == 2 and "not a Dask scheduler address" in r.stderr
