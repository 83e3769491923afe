"""Articles added from the web, kept in the cache so that they read offline.

Each article is one JSON entry (``article:id|ID``) with its text, title, site,
author, date and URL; two small index entries (``url|`` and ``text|``) make
adding the same article twice, by link, by feed or as a saved page, keep one copy.
:func:`add_sources` fetches and extracts what ``gloss add`` is given.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from linker.model import Article
from linker.web import Extracted, Fetcher, FetchError, canonical_url, complete_content, decode_html, extract, looks_like_feed, read_feed

KIND = "article"
FETCH_WORKERS = 8  # pages in flight overall; the fetcher keeps each host to a few


def _digest(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def record_article(record: dict) -> Article:
    """The reader's Article for a stored record (the id is its doc name)."""
    return Article(
        doc=str(record["id"]),
        text=str(record["text"]),
        title=str(record.get("title") or ""),
        outlet=str(record.get("site") or ""),
        path=str(record.get("url") or ""),
    )


class Archive:
    """The stored articles of one cache."""

    def __init__(self, store) -> None:
        self.store = store

    def find(self, url: str = "", text: str = "") -> str | None:
        """The id of a stored article with this URL or this text (whitespace aside)."""
        for key in ([f"url|{canonical_url(url)}"] if url else []) + ([f"text|{_digest(text)}"] if text else []):
            hit = self.store.get(KIND, key)
            if hit is not None and isinstance(hit[0], str) and self.get(hit[0]) is not None:
                return hit[0]
        return None

    def put(self, article: Extracted) -> tuple[str, bool]:
        """Store an article unless it is already here; returns (id, newly added)."""
        known = self.find(article.url, article.text)
        if known is not None:
            return known, False
        ident = hashlib.sha256((canonical_url(article.url) if article.url else _digest(article.text)).encode()).hexdigest()[:12]
        record = {"id": ident, **article.to_json(), "added": time.time()}
        # The record first, the indexes after: an interrupted add leaves no index to nothing.
        self.store.set(KIND, f"id|{ident}", record)
        if article.url:
            self.store.set(KIND, f"url|{canonical_url(article.url)}", ident)
        self.store.set(KIND, f"text|{_digest(article.text)}", ident)
        return ident, True

    def get(self, ident: str) -> dict | None:
        hit = self.store.get(KIND, f"id|{ident}")
        return _valid(hit[0]) if hit is not None else None

    def empty(self) -> bool:
        return next(iter(self.store.entries(kinds=(KIND,))), None) is None

    def ids(self) -> list[str]:
        """The stored articles' ids, in the order they were stored, read from the keys alone (no text is read)."""
        prefix = f"{KIND}:id|"
        return [full[len(prefix) :] for full in self.store._keys() if full.startswith(prefix)]

    def records(self) -> list[dict]:
        out = []
        for kind, key, value, _ in self.store.entries(kinds=(KIND,)):
            if kind == KIND and key.startswith("id|"):
                rec = _valid(value)
                if rec is not None:
                    out.append(rec)
        return out

    def keys_of(self, idents: Iterable[str]) -> set[tuple[str, str]]:
        """The cache keys that carry these articles (for a bundle)."""
        keys: set[tuple[str, str]] = set()
        for ident in idents:
            rec = self.get(ident)
            if rec is None:
                continue
            keys.add((KIND, f"id|{ident}"))
            keys.add((KIND, f"text|{_digest(rec['text'])}"))
            if rec.get("url"):
                keys.add((KIND, f"url|{canonical_url(rec['url'])}"))
        return keys


def _valid(value) -> dict | None:
    """A stored record with the types the reader needs, or None (a damaged or foreign entry)."""
    if not isinstance(value, dict) or not isinstance(value.get("id"), str) or not isinstance(value.get("text"), str) or not value["text"].strip():
        return None
    for k in ("url", "title", "site", "author", "date", "source"):
        if not isinstance(value.get(k, ""), str):
            return None
    return value


# -- gloss add ------------------------------------------------------------------------
@dataclass
class Report:
    """What one source gave: articles added, already stored, and one line per failure."""

    source: str
    added: list[str] = field(default_factory=list)
    known: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    error: str = ""  # the source itself failed


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def add_sources(
    sources: list[str],
    archive: Archive,
    fetcher: Fetcher | None,
    say: Callable[[str], None] = lambda line: None,
) -> list[Report]:
    """Fetch, extract and store every source (URL, saved page, feed URL or file).

    `fetcher` None means offline: sources that need the network fail with a reason.
    Nothing is stored for a page that did not arrive and extract whole.
    """
    reports = [Report(s) for s in sources]
    jobs: list[tuple[Report, str, Callable[[], Extracted]]] = []

    def page_job(report: Report, url: str, hint=None) -> None:
        if archive.find(url=url) is not None:
            report.known.append(url)
            return

        def run() -> Extracted:
            page = fetcher.get(url)
            if page.content_type and not any(t in page.content_type for t in ("html", "xml")):
                raise FetchError(f"not a web page ({page.content_type})")
            found = extract(decode_html(page.body, page.charset), page.url, source=report.source)
            found.url = url  # the address it is known by (a redirect's target may change)
            if hint is not None:
                found.title = found.title or hint.title
                found.date = found.date or hint.date
            return found

        jobs.append((report, url, run))

    def feed_jobs(report: Report, body: bytes, url: str) -> None:
        feed = read_feed(body, url)
        for entry in feed.entries:
            content = complete_content(entry)
            if content is not None:
                ex = extract(f"<html><head><title></title></head><body><article>{content}</article></body></html>", entry.link, source=report.source)
                ex.title, ex.date = entry.title or ex.title, entry.date or ex.date
                ex.site = ex.site if entry.link else feed.title
                jobs.append((report, entry.link or entry.title, lambda ex=ex: ex))
            elif not entry.link or not is_url(entry.link):
                report.failures.append(f"{entry.title or 'an entry'}: no full text in the feed and no link to fetch it from")
            elif fetcher is None:
                report.failures.append(f"{entry.link}: offline, not fetched")
            else:
                page_job(report, entry.link, entry)

    for report in reports:
        src = report.source
        try:
            if is_url(src):
                if fetcher is None:
                    raise FetchError("offline: not fetched")
                if archive.find(url=src) is not None:
                    report.known.append(src)
                    continue
                page = fetcher.get(src)
                if looks_like_feed(page.content_type, page.body):
                    feed_jobs(report, page.body, page.url)
                elif page.content_type and not any(t in page.content_type for t in ("html", "xml")):
                    raise FetchError(f"not a web page or a feed ({page.content_type})")
                else:
                    found = extract(decode_html(page.body, page.charset), page.url, source=src)
                    found.url = src
                    jobs.append((report, src, lambda found=found: found))
            else:
                body = _read_file(Path(src))
                if looks_like_feed("", body):
                    feed_jobs(report, body, src)
                else:
                    found = extract(decode_html(body), "", source=src)
                    jobs.append((report, src, lambda found=found: found))
        except FetchError as err:
            report.error = str(err)

    def run(job):
        report, what, make = job
        try:
            return report, what, make(), None
        except FetchError as err:
            return report, what, None, str(err)

    with ThreadPoolExecutor(max_workers=FETCH_WORKERS) as pool:
        for report, what, found, error in pool.map(run, jobs):
            if error is not None:
                report.failures.append(f"{what}: {error}")
                continue
            ident, new = archive.put(found)
            (report.added if new else report.known).append(ident)
            if new:
                say(f"added {found.title[:70]} ({found.site or 'no site name'})")
    return reports


def _read_file(path: Path) -> bytes:
    from linker.articles import MAX_BYTES, read_bytes

    data, reason = read_bytes(path)
    if data is None:
        raise FetchError(reason)
    if len(data) > MAX_BYTES:
        raise FetchError(f"too large (over {MAX_BYTES / 1e6:.0f} MB, the limit)")
    return data
