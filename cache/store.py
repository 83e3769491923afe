"""One diskcache store for summaries, candidates, links and annotations, in JSON only.

Every value is written as JSON (diskcache's ``JSONDisk``), and this disk refuses
to read any row that was not written that way, so a cache directory or bundle
from elsewhere can never run code.  Entries are ``{kind}:{key}`` ->
``{"v": value, "t": unix time}``.
"""

from __future__ import annotations

import errno
import math
import os
import re
import sqlite3
import threading
import time
from pathlib import Path

import diskcache
from diskcache.core import MODE_BINARY, MODE_RAW

MARKER = "GLOSS-CACHE"  # gloss's own cache directories carry it; 'cache clear' touches no other
KINDS = ("site", "page", "alias", "search", "annotation", "corpus", "override", "article")


class CacheError(RuntimeError):
    """The cache directory cannot be used; the message names the fix."""


class SafeJSONDisk(diskcache.JSONDisk):
    """JSONDisk that reads only the raw/binary rows JSONDisk itself writes."""

    def get(self, key, raw):
        if not raw:
            raise CacheError("cache row with a non-JSON key refused")
        return super().get(key, raw)

    def fetch(self, mode, filename, value, read):
        if mode not in (MODE_RAW, MODE_BINARY) or read:
            raise CacheError("cache row that is not JSON refused")
        return super().fetch(mode, filename, value, read)


def default_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("gloss", appauthor=False))


class Store:
    """The gloss cache at one directory; safe to share between processes."""

    def __init__(self, directory: str | Path | None = None, timeout: float = 60.0) -> None:
        self.directory = Path(directory) if directory else default_dir()
        self.readonly = False  # a cache we may read but not write (a team's shared cache, a read-only mount)
        self.cache = None
        if _read_only(self.directory):
            self._open_read_only()
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self.cache = diskcache.Cache(
                str(self.directory),
                disk=SafeJSONDisk,
                timeout=timeout,
                size_limit=4 * 2**30,
                eviction_policy="none",
            )
            self.cache.get("__probe__", default=None, retry=True)
            marker = self.directory / MARKER
            if not marker.exists():
                marker.write_text("gloss cache: diskcache rows of JSON only; managed by 'gloss cache'\n", encoding="utf-8")
        except (sqlite3.DatabaseError, OSError, CacheError, ValueError) as err:
            if _disk_full(err) and (self.directory / "cache.db").is_file():
                self._open_read_only()  # a full disk: what is there still reads
                return
            raise CacheError(
                f"the cache at {self.directory} cannot be used ({err}). Move it away or run 'gloss cache clear --cache-dir {self.directory}' to start afresh."
            ) from err

    def _open_read_only(self) -> None:
        """Read the cache through SQLite's read-only mode; writes are skipped (nothing new is kept)."""
        db = self.directory / "cache.db"
        if not db.is_file():
            raise CacheError(f"the cache at {self.directory} is read-only and holds no cache yet; choose another with --cache-dir")
        try:
            try:
                self.db = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=60, check_same_thread=False)
                self.db.execute("SELECT COUNT(*) FROM Cache").fetchone()
            except sqlite3.OperationalError:
                # On read-only media SQLite cannot make the WAL's shared-memory file: read the file as it is.
                self.db = sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True, timeout=60, check_same_thread=False)
                self.db.execute("SELECT COUNT(*) FROM Cache").fetchone()
        except sqlite3.DatabaseError as err:
            raise CacheError(f"the read-only cache at {self.directory} cannot be read ({err})") from err
        self.disk = SafeJSONDisk(str(self.directory))
        self.readonly = True
        self.lock = threading.Lock()

    def _get_read_only(self, full: str):
        db_key, raw = self.disk.put(full)
        with self.lock:
            row = self.db.execute("SELECT mode, filename, value FROM Cache WHERE key = ? AND raw = ?", (db_key, raw)).fetchone()
        if row is None:
            return None
        return self.disk.fetch(row[0], row[1], row[2], False)

    # -- the interface the linker's WikiGateway uses ---------------------------------
    def get(self, kind: str, key: str):
        try:
            if self.readonly:
                entry = self._get_read_only(f"{kind}:{key}")
            else:
                entry = self.cache.get(f"{kind}:{key}", default=None, retry=True)
        except Exception:  # noqa: BLE001 - a damaged row (zlib, types, SQLite) is a miss, not a crash
            return None
        if not isinstance(entry, dict) or "v" not in entry or not isinstance(entry.get("t"), (int, float)):
            return None
        when = float(entry["t"])
        if not math.isfinite(when) or when < 0:
            return None
        # An entry dated ahead (a wrong clock, a crafted bundle) counts as written now: it still ages.
        return entry["v"], min(when, time.time())

    def set(self, kind: str, key: str, value, when: float | None = None) -> None:
        if self.readonly:
            return  # read-only: the reader still works; what it learns now is not kept
        entry = {"v": value, "t": time.time() if when is None else when}
        try:
            self.cache.set(f"{kind}:{key}", entry, retry=True)
        except sqlite3.DatabaseError as err:  # locked, read-only, or a damaged database
            raise CacheError(f"cannot write to the cache at {self.directory}: {err}") from err
        except OSError as err:
            raise CacheError(f"cannot write to the cache at {self.directory}: {err.strerror or err}") from err

    def delete(self, kind: str, key: str) -> None:
        if not self.readonly:
            self.cache.delete(f"{kind}:{key}", retry=True)

    # -- whole-store operations ------------------------------------------------------
    def _keys(self) -> list[str]:
        """Every key that decodes as one of ours; rows written by anything else are skipped."""
        try:
            if self.readonly:
                with self.lock:
                    rows = self.db.execute("SELECT key, raw FROM Cache ORDER BY rowid").fetchall()
            else:
                db = sqlite3.connect(f"file:{self.directory / 'cache.db'}?mode=ro", uri=True, timeout=60)
                try:
                    rows = db.execute("SELECT key, raw FROM Cache ORDER BY rowid").fetchall()
                finally:
                    db.close()
        except sqlite3.DatabaseError as err:
            raise CacheError(
                f"the cache at {self.directory} is damaged ({err}); single entries may still read, but not the whole. "
                f"Run 'gloss cache clear --cache-dir {self.directory}' to start afresh."
            ) from err
        keys = []
        disk = self.disk if self.readonly else self.cache.disk
        for key, raw in rows:
            try:
                full = disk.get(key, bool(raw))
            except Exception:  # noqa: BLE001 - a foreign or damaged row is not ours
                continue
            if isinstance(full, str) and ":" in full:
                keys.append(full)
        return keys

    def entries(self, kinds: tuple[str, ...] | None = None):
        """Yield (kind, key, value, time) for every readable entry (of these kinds only, if given)."""
        for full in self._keys():
            kind, key = full.split(":", 1)
            if kinds is not None and kind not in kinds:
                continue
            got = self.get(kind, key)
            if got is not None:
                yield kind, key, got[0], got[1]

    def stats(self) -> dict:
        counts: dict[str, int] = {}
        oldest = newest = None
        for kind, _, _, when in self.entries():
            counts[kind] = counts.get(kind, 0) + 1
            oldest = when if oldest is None else min(oldest, when)
            newest = when if newest is None else max(newest, when)
        return {
            "directory": str(self.directory),
            "entries": counts,
            "total": sum(counts.values()),
            "bytes": self._volume(),
            "oldest": oldest,
            "newest": newest,
        }

    def _volume(self) -> int:
        if not self.readonly:
            return self.cache.volume()
        return sum(f.stat().st_size for f in self.directory.rglob("*") if f.is_file())

    def clear(self) -> int:
        if self.readonly:
            raise CacheError(f"the cache at {self.directory} is read-only: nothing can be cleared")
        return self.cache.clear(retry=True)

    def close(self) -> None:
        if self.readonly:
            self.db.close()
        else:
            self.cache.close()


def _disk_full(err: BaseException) -> bool:
    return (isinstance(err, OSError) and err.errno == errno.ENOSPC) or "disk is full" in str(err) or "No space" in str(err)


def _read_only(directory: Path) -> bool:
    """An existing cache directory this process may read but not write (permissions, or a read-only mount)."""
    if not directory.is_dir():
        return False
    if not os.access(directory, os.W_OK):
        return os.access(directory, os.R_OK | os.X_OK)
    try:  # root passes os.access; a read-only file system still refuses
        probe = directory / f".gloss-write-probe-{os.getpid()}"
        probe.touch()
        probe.unlink()
        return False
    except OSError as err:
        return err.errno in (errno.EROFS, errno.EACCES, errno.EPERM)


def wipe(directory: str | Path) -> int:
    """Remove a gloss cache that cannot even be opened: only diskcache's own files, and only
    in a directory marked as gloss's; returns how many files went."""
    path = Path(directory)
    if not path.exists():
        return 0
    if not (path / MARKER).is_file():
        raise CacheError(f"{path} is not marked as a gloss cache ({MARKER} is missing): nothing was removed; move it away by hand")
    gone = 0
    for child in path.iterdir():
        if child.name in ("cache.db", "cache.db-wal", "cache.db-shm", "cache.db-journal") and child.is_file():
            child.unlink()
            gone += 1
        elif child.is_dir() and not child.is_symlink() and re.fullmatch(r"[0-9a-f]{2}", child.name):
            for sub in child.iterdir():
                if sub.is_dir() and not sub.is_symlink() and re.fullmatch(r"[0-9a-f]{2}", sub.name):
                    for f in sub.iterdir():
                        if f.suffix == ".val" and f.is_file() and not f.is_symlink():
                            f.unlink()
                            gone += 1
                    _rmdir_if_empty(sub)
            _rmdir_if_empty(child)
    return gone


def _rmdir_if_empty(path: Path) -> None:
    try:
        path.rmdir()
    except OSError:
        pass
