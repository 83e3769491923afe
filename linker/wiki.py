"""Talking to a MediaWiki through the Wikipedia-API client, politely and through a cache.

:class:`WikiGateway` batches title look-ups (20 titles a request), keeps at most
four requests in flight, retries 429/5xx/timeouts with backoff honouring
Retry-After, counts every request, and reads and writes page records through a
store (the diskcache store of ``cache/`` in the app, a dict in tests).  Offline,
or once the wiki proves unreachable, it never opens a socket: misses come back
as :data:`NOT_CACHED`.
"""

from __future__ import annotations

import random
import re
import threading
import time
import zlib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from linker import __version__
from linker.http import TooLarge, TooSlow, plain_headers, read_bounded
from linker.model import Page, Status

DEFAULT_API = "https://en.wikipedia.org/w/api.php"
USER_AGENT = f"gloss/{__version__} (terminal news reader; https://github.com/gloss-reader/gloss)"
BATCH = 20  # TextExtracts gives at most 20 intro extracts a request
MAX_CONTINUE = 50
MAX_IN_FLIGHT = 4
NOT_CACHED = Status.NOT_CACHED  # what a lookup or search gives when the cache does not know and the wiki is not asked
FAILED = Status.FAILED  # what it gives when the wiki could not answer now
DAY = 86400.0
MAX_ANSWER_BYTES = 16 << 20  # one API answer, decompressed (a full answer is well under 1 MB)
SEARCH_RETRY_AFTER = 6 * 3600.0  # a search that timed out is not asked again for this long


def _items(value) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def is_disambiguation(page: dict) -> bool:
    """A disambiguation page: by its page property (Disambiguator), else by its categories or its "may refer to" lead."""
    props = page.get("pageprops") if isinstance(page.get("pageprops"), dict) else {}
    if "disambiguation" in props:
        return True
    cats = " ".join(str(c.get("title", "")) for c in _items(page.get("categories"))).lower()
    if "disambiguation pages" in cats:
        return True
    lead = str(page.get("extract") or "")[:300].lower()
    return bool(re.search(r"\bmay (also )?refer to\b", lead))


def first_sentence(text: str, limit: int = 160) -> str:
    m = re.match(r"(.+?[.!?])(\s|$)", text.strip(), re.S)
    sentence = " ".join((m.group(1) if m else text).split())
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rsplit(" ", 1)[0] + "…"


class WikiUnavailable(Exception):
    """The wiki could not answer (network down, repeated errors)."""


def normalize_title(raw: str) -> str:
    title = " ".join(raw.replace("_", " ").split())
    return title[:1].upper() + title[1:] if title else title


def _timed_out_after(record) -> float:
    """The time a remembered slow search was given (records from before it was kept: without bound)."""
    given = record.get("timeout") if isinstance(record, dict) else None
    return float(given) if isinstance(given, (int, float)) and not isinstance(given, bool) else float("inf")


def _refused(err: BaseException) -> bool:
    """Was this a failure to connect at all (no route, refused, no DNS), not a dropped answer?"""
    import httpx

    cause = err.__cause__
    return cause is None or isinstance(cause, (httpx.ConnectError, httpx.ConnectTimeout, OSError))


class MemoryStore:
    """The store interface the gateway needs, in memory (for tests and one-off runs)."""

    def __init__(self) -> None:
        self.data: dict[tuple[str, str], tuple[object, float]] = {}

    def get(self, kind: str, key: str):
        return self.data.get((kind, key))

    def set(self, kind: str, key: str, value, when: float | None = None) -> None:
        self.data[(kind, key)] = (value, time.time() if when is None else when)


@dataclass
class Counters:
    requests: int = 0
    retries: int = 0
    failures: int = 0
    from_cache: int = 0
    fetched: int = 0
    max_in_flight: int = 0
    in_flight: int = 0
    waiting: float = 0.0  # seconds with at least one request in flight: the wall time the wiki took
    _since: float = 0.0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def as_dict(self) -> dict:
        return {
            "requests": self.requests,
            "retries": self.retries,
            "failures": self.failures,
            "from_cache": self.from_cache,
            "fetched": self.fetched,
            "max_in_flight": self.max_in_flight,
        }


def _make_client(api_url: str, language: str, timeout: float, counters: Counters):
    """A Wikipedia-API client pointed at `api_url`, counting its requests."""
    import httpx
    import wikipediaapi

    gate = threading.BoundedSemaphore(MAX_IN_FLIGHT)

    class Client(wikipediaapi.Wikipedia):
        def _build_url(self, language: str) -> str:  # type: ignore[override]
            return api_url

        def _do_get(self, url, params):  # type: ignore[override]
            with gate:
                with counters.lock:
                    counters.requests += 1
                    if not counters.in_flight:
                        counters._since = time.monotonic()
                    counters.in_flight += 1
                    counters.max_in_flight = max(counters.max_in_flight, counters.in_flight)
                try:
                    return self._process_response(self._bounded_get(url, params), url)
                finally:
                    with counters.lock:
                        counters.in_flight -= 1
                        if not counters.in_flight:
                            counters.waiting += time.monotonic() - counters._since

        def _bounded_get(self, url, params) -> httpx.Response:
            """The whole answer within `timeout` (not per read: a dripping wiki is cut off) and under
            MAX_ANSWER_BYTES once decompressed (a gzip bomb is refused while it streams)."""
            deadline = time.monotonic() + timeout
            try:
                with self._client.stream("GET", url, params=params, headers={"Accept-Encoding": "gzip, deflate"}) as r:
                    body = read_bounded(r, MAX_ANSWER_BYTES, deadline)
                    return httpx.Response(r.status_code, headers=plain_headers(r), content=body, request=r.request)
            except TooLarge as err:
                raise wikipediaapi.WikiInvalidJsonError(url) from err
            except TooSlow as err:
                raise wikipediaapi.WikiHttpTimeoutError(url) from err
            except zlib.error as err:
                raise wikipediaapi.WikiInvalidJsonError(url) from err
            except httpx.TimeoutException as err:
                raise wikipediaapi.WikiHttpTimeoutError(url) from err
            except httpx.ConnectError as err:
                raise wikipediaapi.WikiConnectionError(url) from err

    return Client(
        user_agent=USER_AGENT,
        language=language,
        extract_format=wikipediaapi.ExtractFormat.WIKI,
        max_retries=0,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
    )


class WikiGateway:
    """Page records and searches from one wiki, cached in a store."""

    def __init__(
        self,
        api_url: str = DEFAULT_API,
        store=None,
        offline: bool = False,
        max_age_days: float = 30.0,
        timeout: float = 10.0,
        retries: int = 3,
        retry_cap: float = 20.0,
        refresh_stale: bool = False,
    ) -> None:
        self.api_url = api_url
        self.store = store if store is not None else MemoryStore()
        self.offline = offline
        self.max_age = max_age_days * DAY
        self.timeout = timeout
        self.retries = retries
        self.retry_cap = retry_cap
        self.refresh_stale = refresh_stale
        self.counters = Counters()
        self.notice: str | None = None
        self._client = None
        self._client_lock = threading.Lock()
        host = urlsplit(api_url).hostname or "wiki"
        self.language = host.split(".")[0] if host.endswith("wikipedia.org") else "en"
        self._site: str | None = host if host.endswith((".wikipedia.org", ".wikimedia.org")) else None

    # -- identity -------------------------------------------------------------------
    @property
    def site(self) -> str:
        """The wiki's identity, the first part of every cache key: the host for Wikimedia's
        wikis, else host, port and path of the API (two local wikis never share keys)."""
        if self._site is None:
            parts = urlsplit(self.api_url)
            self._site = f"{parts.netloc}{parts.path}".replace("|", "%7C") or "wiki"
        return self._site

    def key(self, title: str) -> str:
        return f"{self.site}|{self.language}|{title}"

    @property
    def unreachable(self) -> bool:
        return self.notice is not None

    @property
    def networked(self) -> bool:
        return not self.offline and not self.unreachable

    # -- HTTP ------------------------------------------------------------------------
    def _client_for(self):
        with self._client_lock:
            if self._client is None:
                self._client = _make_client(self.api_url, self.language, self.timeout, self.counters)
            return self._client

    def _request(self, params: dict, retry_timeouts: bool = True) -> dict:
        """One API call with retries; raises WikiUnavailable when it cannot be had."""
        if not self.networked:
            raise WikiUnavailable(self.notice or "offline")
        import wikipediaapi

        client = self._client_for()
        full = {"format": "json", "formatversion": 1, **params}
        last = "no answer"
        for attempt in range(self.retries + 1):
            try:
                data = client._get(self.language, full)
                if not isinstance(data, dict):
                    raise wikipediaapi.WikiInvalidJsonError(self.api_url)
                if "error" in data:
                    raise WikiUnavailable(f"wiki error: {str(data['error'])[:200]}")
                return data
            except wikipediaapi.WikiConnectionError as err:
                if _refused(err):
                    self._mark_unreachable(f"cannot reach {self.api_url}")
                    raise WikiUnavailable(self.notice or "unreachable") from None
                last = "connection dropped"
                wait = 0.5 * 2**attempt
            except wikipediaapi.WikiRateLimitError as err:
                last = "rate limited (429)"
                wait = float(err.retry_after) if err.retry_after is not None else 0.5 * 2**attempt
            except wikipediaapi.WikiHttpError as err:
                last = f"HTTP {err.status_code}"
                if err.status_code < 500:
                    break
                wait = 0.5 * 2**attempt
            except wikipediaapi.WikiHttpTimeoutError:
                last = "timed out"
                wait = 0.5 * 2**attempt
                if not retry_timeouts:
                    break
            except (wikipediaapi.WikiInvalidJsonError, ValueError):
                last = "invalid JSON"
                wait = 0.5 * 2**attempt
            if attempt < self.retries:
                with self.counters.lock:
                    self.counters.retries += 1
                time.sleep(min(self.retry_cap, wait) * (1 + random.random() * 0.1))
        with self.counters.lock:
            self.counters.failures += 1
            self.counters.errors.append(last)
        raise WikiUnavailable(last)

    def _mark_unreachable(self, why: str) -> None:
        with self.counters.lock:
            if self.notice is None:
                self.notice = f"{why}: working from the cache only"

    def _query_all(self, params: dict, max_rounds: int = MAX_CONTINUE) -> dict:
        """An action=query call following `continue` until the answer is complete.

        A wiki that keeps answering `continue` past `max_rounds` gives no answer at
        all (WikiUnavailable): a silently truncated record is never kept.
        """
        merged: dict = {}
        cont: dict = {}
        for _ in range(max_rounds):
            data = self._request({**params, **cont})
            query = data.get("query", {})
            if not isinstance(query, dict):
                raise WikiUnavailable("wiki answered without a query")
            for k, v in query.items():
                if k == "pages" and isinstance(v, dict):
                    pages = merged.setdefault("pages", {})
                    for pid, page in v.items():
                        if not isinstance(page, dict):
                            continue
                        into = pages.setdefault(pid, {})
                        for pk, pv in page.items():
                            if isinstance(pv, list):
                                into.setdefault(pk, []).extend(pv)
                            else:
                                into[pk] = pv
                elif isinstance(v, list):
                    merged.setdefault(k, []).extend(v)
                else:
                    merged[k] = v
            more = data.get("continue")
            if not isinstance(more, dict):
                return merged
            cont = {str(k): v for k, v in more.items()}
        raise WikiUnavailable(f"answer still incomplete after {max_rounds} continuations")

    # -- page records ----------------------------------------------------------------
    def _cached(self, title: str) -> dict | None:
        """A cached record for a title or redirect, if present (fresh or not)."""
        hit = self.store.get("alias", self.key(title))
        target = str(hit[0]) if hit else title
        rec = self.store.get("page", self.key(target))
        if rec is None:
            return None
        try:
            return Page.from_json(rec[0], age=time.time() - rec[1])
        except TypeError:
            return None  # a damaged record: asked again

    def lookup(self, titles: Iterable[str]) -> dict[str, Page | Status]:
        """Page records for titles (redirects followed).

        Each value is a Page (``missing`` for no such page), or NOT_CACHED /
        FAILED when it cannot be had now.
        """
        wanted = {}
        for t in titles:
            n = normalize_title(t)
            if n and len(n) <= 255 and "|" not in n:
                wanted[t] = n
        result: dict[str, Page | Status] = {}
        to_fetch: list[str] = []
        for raw, norm in wanted.items():
            rec = self._cached(norm)
            stale = rec is not None and self.refresh_stale and rec.age > self.max_age
            if rec is not None and not (stale and self.networked):
                result[raw] = rec
                with self.counters.lock:
                    self.counters.from_cache += 1
            else:
                to_fetch.append(norm)
        fetched: dict[str, Page | Status] = {}
        if to_fetch:
            unique = list(dict.fromkeys(to_fetch))
            batches = [unique[i : i + BATCH] for i in range(0, len(unique), BATCH)]
            if not self.networked:
                for b in batches:
                    fetched.update({t: NOT_CACHED for t in b})
            else:
                with ThreadPoolExecutor(MAX_IN_FLIGHT) as pool:
                    for part in pool.map(self._fetch_batch, batches):
                        fetched.update(part)
                fetched = self._store_fetched(fetched)
        for raw, norm in wanted.items():
            if raw not in result:
                result[raw] = fetched.get(norm, NOT_CACHED)
        return result

    def _fetch_batch(self, titles: list[str]) -> dict[str, Page | Status]:
        """One batch of titles: only what the linker reads (intro extract, description, categories, type)."""
        params = {
            "action": "query",
            "titles": "|".join(titles),
            "redirects": 1,
            "prop": "info|extracts|pageprops|categories",
            "inprop": "url",
            "exintro": 1,
            "explaintext": 1,
            "exlimit": len(titles),
            "cllimit": "max",
            "clshow": "!hidden",
            "ppprop": "disambiguation|wikibase-shortdesc",
        }
        if not self.networked:
            return {t: NOT_CACHED for t in titles}
        try:
            query = self._query_all(params)
        except WikiUnavailable:
            return {t: (NOT_CACHED if self.unreachable else FAILED) for t in titles}
        if not isinstance(query.get("pages"), dict) or not query["pages"]:
            # An answer without its pages (wrong types, an error page as JSON) says nothing: not "no such page".
            with self.counters.lock:
                self.counters.failures += 1
                self.counters.errors.append("answer without pages")
            return {t: FAILED for t in titles}
        return self._absorb(titles, query)

    def _add_links(self, records: list[Page]) -> bool:
        """The entries of disambiguation pages (their links), for all batches at once, complete or not at all."""
        for i in range(0, len(records), 50):
            part = records[i : i + 50]
            try:
                links = self._query_all({"action": "query", "titles": "|".join(r.title for r in part), "prop": "links", "pllimit": "max", "plnamespace": 0})
            except WikiUnavailable:
                return False
            by_title = {str(p.get("title")): p for p in (links.get("pages") or {}).values() if isinstance(p, dict)}
            for r in part:
                page = by_title.get(r.title, {})
                r.links = [str(c.get("title")) for c in _items(page.get("links")) if c.get("ns", 0) == 0 and c.get("title")]
        return True

    def _store_fetched(self, fetched: dict[str, Page | Status]) -> dict[str, Page | Status]:
        """Complete disambiguation pages with their entries, then keep every record, and each asked
        name that led to another title as its alias; a page whose entries could not be had is not
        kept (a later run asks again)."""
        records = {id(r): r for r in fetched.values() if isinstance(r, Page)}
        lists = [r for r in records.values() if r.disambiguation]
        complete = self._add_links(lists) if lists else True
        for r in records.values():
            if not (r.disambiguation and not complete):
                self.store.set("page", self.key(r.title), r.to_json())
        out: dict[str, Page | Status] = {}
        for t, r in fetched.items():
            if isinstance(r, Page) and r.disambiguation and not complete:
                r = NOT_CACHED if self.unreachable else FAILED
            elif isinstance(r, Page) and r.title != t:
                self.store.set("alias", self.key(t), r.title)
            out[t] = r
        return out

    def _absorb(self, titles: list[str], query: dict) -> dict[str, Page | Status]:
        """Turn one query answer into records and map each asked title (kept later, once complete)."""
        hop: dict[str, str] = {}
        for item in _items(query.get("normalized")) + _items(query.get("redirects")):
            if "from" in item and "to" in item:
                hop[str(item["from"])] = str(item["to"])
        by_title: dict[str, Page] = {}
        for page in (query.get("pages") or {}).values():
            if isinstance(page, dict) and isinstance(page.get("title"), str):
                record = self._record(page)
                by_title[record.title] = record
        by_folded = {title.casefold(): rec for title, rec in by_title.items()}

        def target_of(t: str) -> str:
            target, seen = t, set()
            while target in hop and target not in seen:  # a redirect loop stops here
                seen.add(target)
                target = hop[target]
            return target

        if not any(target_of(t) in by_title or target_of(t).casefold() in by_folded for t in titles):
            # Not one asked title is in the answer: it is about something else (a broken proxy), not "no such pages".
            with self.counters.lock:
                self.counters.failures += 1
                self.counters.errors.append("answer about other pages")
            return {t: FAILED for t in titles}
        out: dict[str, Page | Status] = {}
        for t in titles:
            target = target_of(t)
            rec = by_title.get(target) or by_folded.get(target.casefold())
            if rec is None:
                # The wiki answered the batch but not for this title (an odd or invalid name): no such page.
                rec = by_title[target] = Page(target, missing=True)
            out[t] = rec
            with self.counters.lock:
                self.counters.fetched += 1
        return out

    def _record(self, page: dict) -> Page:
        title = str(page["title"])
        if "missing" in page or "invalid" in page:
            return Page(title, missing=True)
        props = page.get("pageprops") if isinstance(page.get("pageprops"), dict) else {}
        extract = str(page.get("extract") or "")[:20000]
        disambiguation = bool(page.get("_disambiguation")) or is_disambiguation(page)
        description = str(page.get("description") or props.get("wikibase-shortdesc") or "")
        if not description and not disambiguation:
            description = first_sentence(extract)  # a plain wiki has no short descriptions
        length = page.get("length")
        pageid = page.get("pageid")
        return Page(
            title=title,
            pageid=pageid if isinstance(pageid, int) else None,
            description=description,
            extract=extract,
            url=str(page.get("fullurl") or ""),
            length=length if isinstance(length, int) else len(extract),
            disambiguation=disambiguation,
            categories=[str(c.get("title", "")).split(":", 1)[-1] for c in _items(page.get("categories"))],
            # links: a disambiguation page's entries come from _add_links, for all batches at once;
            # aliases: redirects are not asked for, each asked name maps through the answer's `redirects`.
        )

    # -- search ----------------------------------------------------------------------
    def search(self, query: str, limit: int = 8) -> list[str] | Status:
        """Titles the wiki's search proposes for a name, or NOT_CACHED / FAILED."""
        k = self.key(f"{limit}:{query}")
        hit = self.store.get("search", k)
        fresh = hit is not None and not (self.refresh_stale and time.time() - hit[1] > self.max_age and self.networked)
        if fresh:
            with self.counters.lock:
                self.counters.from_cache += 1
            return [str(t) for t in hit[0]]
        if not self.networked:
            return [str(t) for t in hit[0]] if hit else NOT_CACHED
        slow = self.store.get("slow_search", k)
        if slow is not None and 0 <= time.time() - slow[1] < SEARCH_RETRY_AFTER and self.timeout <= _timed_out_after(slow[0]):
            return FAILED  # it timed out lately, given as long as now: asking again would only time out again
        try:
            # A search that times out is slow on the wiki's side: once, not again and again.
            data = self._request({"action": "query", "list": "search", "srsearch": query, "srlimit": limit, "srprop": ""}, retry_timeouts=False)
        except WikiUnavailable as err:
            if str(err) == "timed out":
                self.store.set("slow_search", k, {"query": query, "timeout": self.timeout})
            return NOT_CACHED if self.unreachable else FAILED
        query = data.get("query")
        if not isinstance(query, dict) or not isinstance(query.get("search", []), list):
            return FAILED
        titles = [str(r.get("title")) for r in _items(query.get("search")) if isinstance(r.get("title"), str)]
        self.store.set("search", k, titles)
        return titles

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client._client.close()
            except Exception:
                pass
