"""gloss reader: the Textual app and the command line. Never imports spaCy at module level."""
