"""Portable cache bundles: one gzip'd JSON file, versioned and checksummed.

Import validates the whole file before writing anything, then merges entry by
entry (the newer entry wins).  A truncated, corrupt, foreign, newer-format or
hostile file is refused with a message and the cache is left as it was.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
import time
import zlib
from pathlib import Path

from cache.store import KINDS, Store

FORMAT = "gloss-cache-bundle"
VERSION = 1
MAX_BUNDLE_BYTES = 512 << 20


class BundleError(ValueError):
    """A bundle that cannot be imported; the message says why."""


def _digest(entries: list) -> str:
    blob = json.dumps(entries, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()


def export(store: Store, path: str | Path, keys: set[tuple[str, str]] | None = None) -> dict:
    """Write every entry (or only `keys`) to a bundle file; returns counts."""
    entries = [[kind, key, value, round(when, 3)] for kind, key, value, when in store.entries() if kind in KINDS and (keys is None or (kind, key) in keys)]
    entries.sort(key=lambda e: (e[0], e[1]))
    doc = {"format": FORMAT, "version": VERSION, "created": time.time(), "count": len(entries), "sha256": _digest(entries), "entries": entries}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".bundle-")
    try:
        with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
            gz.write(json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return {"entries": len(entries), "bytes": path.stat().st_size}


def _valid_value(kind: str, value) -> bool:
    if kind in ("site", "alias"):
        return isinstance(value, str)
    if kind == "page":
        return isinstance(value, dict) and isinstance(value.get("title"), str) and isinstance(value.get("missing", False), bool)
    if kind == "search":
        return isinstance(value, list) and all(isinstance(t, str) for t in value)
    if kind == "annotation":
        return isinstance(value, list) and all(isinstance(m, dict) and isinstance(m.get("start"), int) and isinstance(m.get("end"), int) for m in value)
    if kind == "corpus":
        return isinstance(value, dict) and isinstance(value.get("entities"), list) and isinstance(value.get("placed"), dict)
    if kind == "article":  # an article record, or an index entry naming one
        return isinstance(value, str) or (isinstance(value, dict) and isinstance(value.get("id"), str) and isinstance(value.get("text"), str))
    if kind == "override":
        return isinstance(value, dict) and all(isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in value.items())
    return False


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def read_bundle(path: str | Path) -> list:
    """Parse and check a bundle completely; returns its entries or raises BundleError."""
    path = Path(path)
    try:
        # First the size, streaming and keeping nothing: a gzip bomb is refused in a few MB of memory.
        size = blanks = 0
        with gzip.open(path, "rb") as gz:
            while chunk := gz.read(1 << 20):
                size += len(chunk)
                blanks += len(chunk) - len(chunk.translate(None, b" \t\r\n"))
                if size > MAX_BUNDLE_BYTES:
                    raise BundleError(f"{path}: larger than {MAX_BUNDLE_BYTES >> 20} MB once unpacked; refused")
                if size > (4 << 20) and blanks > size // 2:
                    # gloss writes compact JSON: a bundle that is mostly blanks is padding, not entries.
                    raise BundleError(f"{path}: not a gloss bundle (mostly whitespace); refused")
        with gzip.open(path, "rb") as gz:
            raw = gz.read(MAX_BUNDLE_BYTES + 1)
    except FileNotFoundError:
        raise BundleError(f"{path}: no such file") from None
    except (OSError, EOFError, zlib.error) as err:
        raise BundleError(f"{path}: not a gloss bundle, or truncated ({err})") from None
    if len(raw) > MAX_BUNDLE_BYTES:
        raise BundleError(f"{path}: larger than {MAX_BUNDLE_BYTES >> 20} MB once unpacked; refused")
    try:
        doc = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except RecursionError:
        raise BundleError(f"{path}: damaged (nested too deeply)") from None
    except (UnicodeDecodeError, ValueError):
        raise BundleError(f"{path}: damaged (its content is not valid JSON)") from None
    del raw
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise BundleError(f"{path}: not a gloss cache bundle")
    version = doc.get("version")
    if not isinstance(version, int):
        raise BundleError(f"{path}: bundle has no format version")
    if version > VERSION:
        raise BundleError(f"{path}: made by a newer gloss (bundle format {version}, this gloss reads up to {VERSION}); upgrade gloss")
    entries = doc.get("entries")
    if not isinstance(entries, list):
        raise BundleError(f"{path}: bundle has no entry list")
    if doc.get("sha256") != _digest(entries):
        raise BundleError(f"{path}: checksum mismatch: the file was altered or damaged")
    for n, e in enumerate(entries):
        ok = (
            isinstance(e, list)
            and len(e) == 4
            and e[0] in KINDS
            and isinstance(e[1], str)
            and isinstance(e[3], (int, float))
            and not isinstance(e[3], bool)
            and 0 <= e[3] < 1e11
            and _valid_value(e[0], e[2])
        )
        if not ok:
            raise BundleError(f"{path}: entry {n + 1} has the wrong shape or types; nothing imported")
    return entries


def import_bundle(store: Store, path: str | Path) -> dict:
    """Validate, then merge a bundle into the store (newer entries win)."""
    entries = read_bundle(path)
    added = updated = kept = 0
    now = time.time()
    for kind, key, value, when in entries:
        when = min(float(when), now)  # an entry dated ahead is dated now: it cannot win every later import
        have = store.get(kind, key)
        if have is None:
            added += 1
        elif have[1] < when:
            updated += 1
        else:
            kept += 1
            continue
        store.set(kind, key, value, when=float(when))
    return {"entries": len(entries), "added": added, "updated": updated, "kept": kept}
