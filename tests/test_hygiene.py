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
