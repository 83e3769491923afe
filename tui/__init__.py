"""gloss reader: the Textual app and the command line. Never imports spaCy at module level."""

import os

# Textual paints at most TEXTUAL_FPS frames a second (60 by default). A key that follows a frame which took
# longer than one period waits up to two periods for the next; at 120 that wait is halved (measured at 10,000
# articles: next-mention p95 26 ms at 60, 19 ms at 120). Frames are painted only when something changed, so
# the reader's keys are not slowed; a user on a slow link can set TEXTUAL_FPS lower. Read by Textual on import.
os.environ.setdefault("TEXTUAL_FPS", "120")
