"""gloss's linker: named entities in news articles, tied to Wikipedia pages.

This package never imports Textual; spaCy is imported only when a model loads.
"""

__version__ = "0.1.0"
# Bump when a change alters annotations or links: cached results are then redone.
LINKER_VERSION = "11"
