"""Compare: every sentence that mentions the selected entity, grouped by source."""

from __future__ import annotations

import time

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from tui.text import visible
from tui.navigation import Corpus, Pos


FIRST_OPTIONS = 80  # sentences and source heads on the first paint: a few screens' worth
FILL_SECONDS = 0.005  # making the rest, a turn at a time, so the keys are answered between turns


class CompareScreen(Screen[Pos | None]):
    """The sentences are made as they are needed: the first few screens before the first paint, the rest
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
        self.entity = entity
        self.targets: dict[str, Pos] = {}
        self._coming = None  # the options not made yet (a generator), None when all are listed
        self._read = 0  # mentions gone through

    def compose(self) -> ComposeResult:
        yield Vertical(Static(self.heading(), classes="title", id="compare-title"), OptionList(id="sentences"), id="dialog")
        yield Footer()

    def heading(self) -> Text:
        ent = self.corpus.entities[self.entity]
        text = Text(f"How each source tells it: {visible(ent.name)}  (Enter jumps there, Esc closes)")
        total = len(self.corpus.by_entity.get(self.entity, []))
        if self._coming is not None and self._read < total:
            text.append(f"  listing {self._read:,} of {total:,} mentions…", style="dim")
        return text

    def options(self):
        """One head per source, then each sentence naming the entity once, the mention in reverse."""
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
                head = Text(f"{pos[0] + 1}. {visible(art.title)}", style="bold reverse")
                if art.outlet:
                    head.append(f" · {visible(art.outlet)}")
                yield Option(head, disabled=True)
            text = self.corpus.articles[pos[0]].text
            m = self.corpus.mention(pos).mention
            line = Text("  " + visible(text[a : m.start].lstrip()))
            line.append(visible(text[m.start : m.end]), style="bold reverse")
            line.append(visible(text[m.end : b].rstrip()))
            key = f"{pos[0]}:{pos[1]}"
            self.targets[key] = pos
            yield Option(line, id=key)

    def on_mount(self) -> None:
        self._coming = self.options()
        self.fill(first=True)
        options = self.query_one(OptionList)
        first = next((i for i in range(options.option_count) if not options.get_option_at_index(i).disabled), None)
        if first is not None:
            options.highlighted = first
        options.focus()

    def fill(self, first: bool = False) -> None:
        """Add the next options: the first screens at once, then what a few milliseconds make."""
        if self._coming is None or not self.is_attached:  # all listed, or the view was closed meanwhile
            return
        batch = []
        started = time.perf_counter()
        for option in self._coming:
            batch.append(option)
            if len(batch) >= FIRST_OPTIONS if first else time.perf_counter() - started > FILL_SECONDS:
                break
        else:
            self._coming = None
        self.query_one(OptionList).add_options(batch)
        self.query_one("#compare-title", Static).update(self.heading())
        if self._coming is not None:
            self.set_timer(0.001, self.fill)

    def action_cursor(self, step: int) -> None:
        options = self.query_one(OptionList)
        (options.action_cursor_down if step > 0 else options.action_cursor_up)()

    def action_select(self) -> None:
        self.query_one(OptionList).action_select()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.targets.get(event.option.id or ""))

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
