"""Data flows one way: the reader never imports spaCy at start-up; linker/ and cache/ never import Textual."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def modules_after(code: str) -> set[str]:
    r = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 0, r.stderr
    return set(r.stdout.split())


def test_reader_modules_do_not_import_spacy():
    mods = modules_after("import tui.cli, tui.app, tui.screens.main, tui.screens.index, tui.screens.compare, cache.library")
    assert "spacy" not in mods and "thinc" not in mods


def test_linker_and_cache_do_not_import_textual():
    mods = modules_after("import linker.pipeline, linker.evaluate, linker.articles, cache.library, cache.bundle")
    assert not any(m == "textual" or m.startswith("textual.") for m in mods)


def dev_set_names() -> set[str]:
    """Every surface form and page title of the development stories' gold and of our held-out stories (3 characters or more)."""
    import json

    names: set[str] = set()
    fixtures = ROOT / "tests" / "fixtures"
    for gold in (fixtures / "gold" / "seeds.jsonl", fixtures / "dev2" / "gold.jsonl", fixtures / "space" / "gold.jsonl", fixtures / "music" / "gold.jsonl"):
        for line in gold.read_text(encoding="utf-8").splitlines():
            if line.strip():
                d = json.loads(line)
                names.update(x for x in (d["text"], d.get("title"), *d.get("alt_titles", [])) if x)
    return {n for n in names if len(n) >= 3}


def test_no_development_story_name_in_product_code():
    """The linker is general: no name, title or rule of the dev stories, not even as a comment's example."""
    import re

    names = dev_set_names()
    assert len(names) > 100  # the gold files were read
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + r")(?!\w)")
    found = []
    for folder in ("linker", "cache", "tui"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in (".py", ".json") and path.is_file():
                for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                    found += [f"{path.relative_to(ROOT)}:{n}: {m.group()}" for m in pattern.finditer(line)]
    assert not found, "dev-set names in product code:\n" + "\n".join(found)


def test_one_key_table_for_bindings_help_palette_and_readme():
    """tui/keys.py is the only list of keys: the README shows exactly its table, and every binding has a help row."""
    from tui.app import GlossApp
    from tui.keys import KEYS, readme_table
    from tui.screens.main import MainScreen

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_table() in readme
    rows = [k for k in KEYS]
    bound = [b for b in list(MainScreen.BINDINGS) + list(GlossApp.BINDINGS)]
    assert bound and all(any(b in k.bindings for k in rows) for b in bound)
    names = {"right_square_bracket": "]", "left_square_bracket": "[", "asterisk": "*", "number_sign": "#", "slash": "/", "question_mark": "?"}
    for k in rows:
        for b in k.bindings:
            for key in b.key.split(","):
                assert names.get(key, key) in k.shown, (key, k.shown)
