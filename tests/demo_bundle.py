"""Build the demo cache bundle shipped in samples/: warm the samples against the test wiki, export.

The summaries in it come from tests/fixtures/wiki/pages.json (short paraphrases of
each Wikipedia page's opening), served by tests/wiki_server.py.
Run ``make demo-bundle`` (or ``python -m tests.demo_bundle samples/demo-bundle.gloss``).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.wiki_server import DEFAULT_PAGES, serve

ROOT = Path(__file__).resolve().parent.parent
# The demo's own wiki identity: `make run` reads the demo offline under it.
DEMO_API = "http://demo.gloss.invalid/w/api.php"


def main(out: str) -> int:
    from tui.cli import main as gloss

    server, stats, _ = serve([DEFAULT_PAGES])
    url = f"http://127.0.0.1:{server.server_address[1]}/w/api.php"
    with tempfile.TemporaryDirectory() as cache:
        common = ["--wiki-api", url, "--cache-dir", cache]
        if gloss(["warm", str(ROOT / "samples"), *common]) != 0:
            print("warm failed", file=sys.stderr)
            return 1
        if gloss(["cache", "export", out, *common]) != 0:
            return 1
    server.shutdown()
    rename_site(Path(out), url, DEMO_API)
    return 0


def rename_site(bundle: Path, old_api: str, new_api: str) -> None:
    """Give the demo entries their own wiki identity, so they can never answer for a real wiki."""
    import gzip
    import json
    from urllib.parse import urlsplit

    from cache.bundle import _digest

    old, new = (f"{urlsplit(u).netloc}{urlsplit(u).path}" for u in (old_api, new_api))
    doc = json.loads(gzip.decompress(bundle.read_bytes()))
    for entry in doc["entries"]:
        entry[1] = entry[1].replace(old, new)
    doc["sha256"] = _digest(doc["entries"])
    bundle.write_bytes(gzip.compress(json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode(), mtime=0))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "samples" / "demo-bundle.gloss")))
