"""Reading articles from files and folders, refusing bad input with a reason.

A PATH is a file or a folder; folders contribute their ``.txt``, ``.md`` and
``.html`` files (not recursively following symlinks).  Every file that cannot be used
comes back as a one-line :class:`Problem` and the others still load.
"""

from __future__ import annotations

import codecs
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from linker.model import Article

HTML_SUFFIXES = (".html", ".htm")
SUFFIXES = (".txt", ".md", *HTML_SUFFIXES)
MAX_BYTES = 5 * 1024 * 1024
MAX_FILES = 20_000
METADATA = "sources.json"


@dataclass(frozen=True)
class Problem:
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def decode(data: bytes) -> tuple[str | None, str]:
    """Decode article bytes; returns (text, note) or (None, reason)."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(codec), ""
            except UnicodeDecodeError:
                return None, f"not valid {codec.upper()} despite its byte-order mark"
    if b"\x00" in data:
        return None, "binary file (contains NUL bytes), not text"
    try:
        return data.decode("utf-8"), ""
    except UnicodeDecodeError:
        pass
    text = data.decode("latin-1")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > max(8, len(text) // 100):
        return None, "binary file (too many control bytes), not text"
    return text, "not UTF-8: read as Latin-1"


def _title_from_text(text: str) -> str:
    head = text[:TITLE_LOOK]
    for raw in head.splitlines():
        line = " ".join(raw.split())
        if not line:
            continue
        cut = len(head) < len(text) and head.endswith(raw)  # the line runs on past what was looked at
        if len(line) <= 100 and not line.endswith(".") and not cut:
            return line
        first = line.split(". ")[0]
        return first if len(first) <= 80 else first[:77].rstrip() + "..."
    return ""


TITLE_LOOK = 1000  # a title is at most 100 characters, a first sentence is cut at 80: no need to look further


def _metadata(folder: Path) -> dict:
    try:
        data = json.loads((folder / METADATA).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def read_bytes(path: Path) -> tuple[bytes | None, str]:
    """A regular file's bytes, at most MAX_BYTES; returns (data, "") or (None, reason)."""
    try:
        # Non-blocking open, then a look at what it is: a FIFO or device named x.txt never hangs us.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                return None, "not a regular file (a pipe, socket or device)"
            if st.st_size > MAX_BYTES:
                return None, f"too large ({st.st_size / 1e6:.1f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB)"
            with os.fdopen(fd, "rb", closefd=False) as f:
                data = f.read(MAX_BYTES + 1)
            if len(data) > MAX_BYTES:
                return None, f"too large (over {MAX_BYTES / 1e6:.0f} MB, the limit)"
        finally:
            os.close(fd)
    except FileNotFoundError:
        return None, "no such file"
    except PermissionError:
        return None, "permission denied"
    except OSError as err:
        return None, f"cannot read ({err.strerror or err})"
    return data, ""


def read_article(path: Path, meta: dict | None = None) -> tuple[Article | None, str]:
    """Read one file; returns (article, note) or (None, reason).  A saved web page (.html)
    gives its main text (the page's declared charset respected)."""
    data, reason = read_bytes(path)
    if data is None:
        return None, reason
    info = (meta or {}).get(path.name, {})
    if path.suffix.lower() in HTML_SUFFIXES:
        from linker.web import FetchError, decode_html, extract

        try:
            page = extract(decode_html(data))
        except FetchError as err:
            return None, str(err)
        title = str(info.get("title") or page.title or path.stem)
        return Article(doc=path.name, text=page.text, title=title, outlet=str(info.get("outlet") or page.site), path=str(path)), ""
    text, note = decode(data)
    if text is None:
        return None, note
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return None, "empty file"
    title = str(info.get("title") or _title_from_text(text) or path.stem)
    return Article(doc=path.name, text=text, title=title, outlet=str(info.get("outlet") or ""), path=str(path)), note


def _files_in(folder: Path, problems: list[Problem]) -> list[Path]:
    found: list[Path] = []
    for root, dirs, files in os.walk(folder, followlinks=False, onerror=lambda e: problems.append(Problem(str(e.filename), "cannot list folder"))):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.endswith(SUFFIXES) and not name.startswith("."):
                found.append(Path(root) / name)
    return found


def list_files(paths: list[str | Path]) -> tuple[list[Path], list[Problem]]:
    """The article files under the given paths, in reading order, and the paths that give none."""
    problems: list[Problem] = []
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(_files_in(path, problems))
        elif path.is_file():
            files.append(path)
        elif path.is_symlink() and not path.exists():
            problems.append(Problem(str(path), "broken or looping symbolic link"))
        elif path.exists():
            problems.append(Problem(str(path), "not a regular file (a pipe, socket or device)"))
        else:
            problems.append(Problem(str(path), "no such file or folder"))
    if len(files) > MAX_FILES:
        problems.append(Problem(str(paths[0]), f"{len(files)} files: only the first {MAX_FILES} are opened"))
        files = files[:MAX_FILES]
    return files, problems


def read_files(files: list[Path], problems: list[Problem] | None = None) -> tuple[list[Article], list[Problem]]:
    """Read the listed files; bad files become problems (added to `problems`)."""
    problems = [] if problems is None else problems
    articles: list[Article] = []
    seen_docs: set[str] = set()
    metas: dict[Path, dict] = {}
    for path in files:
        if path.parent not in metas:
            metas[path.parent] = _metadata(path.parent)  # once a folder, not once a file
        article, note = read_article(path, metas[path.parent])
        if article is None:
            problems.append(Problem(str(path), note))
            continue
        if article.doc in seen_docs:
            # Two files with one name in different folders: keep both, distinctly.
            article.doc = str(path)
        seen_docs.add(article.doc)
        if note:
            problems.append(Problem(str(path), note))
        articles.append(article)
    return articles, problems


def first_article(files: list[Path]) -> Article | None:
    """The first of the files that reads as an article: what a reader of thousands shows first, before
    the rest are read (it is the first article :func:`read_files` gives too)."""
    metas: dict[Path, dict] = {}
    for path in files:
        if path.parent not in metas:
            metas[path.parent] = _metadata(path.parent)
        article, _ = read_article(path, metas[path.parent])
        if article is not None:
            return article
    return None


def load_articles(paths: list[str | Path]) -> tuple[list[Article], list[Problem]]:
    """Load every article under the given paths; bad files become problems."""
    files, problems = list_files(paths)
    return read_files(files, problems)
