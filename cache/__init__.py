"""gloss cache: one diskcache store of JSON entries, bundles, and the library that reads through it."""
