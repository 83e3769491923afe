"""Compare: every sentence that mentions the selected entity, grouped by source."""

from __future__ import annotations

import time
from itertools import islice

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical

from tui.keybar import KeyBar
from tui.line_list import Rows
from tui.screens.kept import KeptScreen
from tui.navigation import Corpus, Pos
from tui.text import visible
from tui.wrapped_list import Entry, WrappedList

FIRST_OPTIONS = 40  # at most this many sentences and source heads before the first paint (a screen's worth)
FILL_STEP = 8  # options added at a time while filling behind
FILL_SECONDS = 0.005  # a turn of filling, so the keys are answered between turns
TITLE_EVERY = 0.25  # seconds between the title's counts while filling (each is a frame to send)


class CompareScreen(KeptScreen[Pos | None]):
    """The sentences are made as they are needed: the first screen of them before the first paint, the rest
    behind it, a few milliseconds a turn (an entity of 10,000 sources has tens of thousands of sentences)."""

    BINDINGS = [
        Binding("escape,c,q", "dismiss_none", "Close", id="close"),
        Binding("enter", "select", "Jump there", id="jump"),
        Binding("j", "cursor(1)", show=False),
        Binding("k", "cursor(-1)", show=False),
    ]

    def __init__(self, corpus: Corpus, entity: str) -> None:
        super().__init__()
        self.corpus = corpus
        self.entity = entity  # the entity shown, or to be shown when the screen is next shown
        self.listed: str | None = None  # the entity the list is of (made again on showing when they differ)
        self.targets: dict[str, Pos] = {}
        self._coming = None  # the options not made yet (a generator), None when all are listed
        self._read = 0  # mentions gone through
        self._filling = False  # a turn of filling is scheduled
        self._titled = 0.0  # when the title last said how far the listing is

    def compose(self) -> ComposeResult:
        yield Vertical(Rows(classes="title", id="compare-title"), WrappedList(id="sentences"), id="dialog")
        yield KeyBar()

    def heading(self) -> Text:
        ent = self.corpus.entities[self.entity]
        text = Text(f"How each source tells it: {visible(ent.name)}")
        total = len(self.corpus.by_entity.get(self.entity, []))
        if self._coming is not None and self._read < total:
            text.append(f"  listing {self._read:,} of {total:,} mentions…", style="dim")
        text.append("  (Enter jumps there, Esc closes)")
        return text

    def options(self):
        """One head per source, then each sentence naming the entity once, the mention set off."""
        seen: set[tuple[int, int, int]] = set()
        current_doc = None
        for pos in self.corpus.by_entity.get(self.entity, []):
            self._read += 1
            a, b = self.corpus.sentence(pos)
            if (pos[0], a, b) in seen:
                continue
            seen.add((pos[0], a, b))
            if pos[0] != current_doc:
                current_doc = pos[0]
                art = self.corpus.articles[pos[0]]
                yield Entry(f"{pos[0] + 1}. {visible(art.title)}" + (f" · {visible(art.outlet)}" if art.outlet else ""))
            text = self.corpus.articles[pos[0]].text
            m = self.corpus.mention(pos).mention
            before = text[a : m.start].lstrip()
            key = f"{pos[0]}:{pos[1]}"
            self.targets[key] = pos
            yield Entry(visible(before + text[m.start : b].rstrip()), key, (len(before), len(before) + m.end - m.start))

    def on_screen_resume(self) -> None:
        """Shown (one compare screen is kept for a set of entities, as the index is): for another entity the
        list is made again, its first screen at once; for the same one it is as it was left, filled on."""
        options = self.query_one(WrappedList)
        if self.listed != self.entity:
            self.listed, self.targets, self._read = self.entity, {}, 0
            options.clear()
            self._coming = self.options()
            self.fill(first=True)
            options.action_edge(-1)
        else:
            self.call_after_refresh(self.fill_later)  # on with the listing after this paint
        if self.focused is not options:
            options.focus()

    def fill(self, first: bool = False) -> None:
        """Add the next sentences: the first screen at once, then, while shown, what a few milliseconds make
        and wrap."""
        self._filling = False
        if self._coming is None or not self.is_current:  # all listed, or not on screen: on again when shown
            return
        options = self.query_one(WrappedList)
        started = time.perf_counter()
        if first:  # the first screen in one go (when the list's height is known), else FIRST_OPTIONS
            screen_rows = options.scrollable_content_region.height
            wanted = FIRST_OPTIONS if not screen_rows else None
            if options.add(islice(self._coming, wanted), rows=screen_rows) == 0:
                self._coming = None
        while not first and self._coming is not None:  # a batch at least, then more while time is left
            if options.add(islice(self._coming, FILL_STEP)) < FILL_STEP:
                self._coming = None
            if time.perf_counter() - started > FILL_SECONDS:
                break
        if first or self._coming is None or started - self._titled >= TITLE_EVERY:
            self._titled = started
            self.query_one("#compare-title", Rows).set_lines([self.heading()])
        self.fill_later()

    def fill_later(self) -> None:
        if self._coming is not None and not self._filling:
            self._filling = True
            self.set_timer(0.001, self.fill)

    def action_cursor(self, step: int) -> None:
        self.query_one(WrappedList).action_move(step)

    def action_select(self) -> None:
        self.query_one(WrappedList).action_select()

    def on_wrapped_list_selected(self, event: WrappedList.Selected) -> None:
        self.dismiss(self.targets.get(event.key))

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
