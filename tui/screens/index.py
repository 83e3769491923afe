"""The entity index, after Kindle X-Ray: every entity, its mentions per source; type to filter."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from tui.article_view import visible
from tui.navigation import Corpus

SHOWN = 200


class IndexScreen(Screen[str | None]):
    BINDINGS = [
        Binding("escape", "dismiss_none", "Close", id="close"),
        Binding("ctrl+q", "dismiss_none", "Close", show=False),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
    ]

    def __init__(self, corpus: Corpus) -> None:
        super().__init__()
        self.corpus = corpus
        self.rows = [(e, e.name.lower() + " " + (e.title or "").lower()) for e in corpus.order]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(f"Entities ({len(self.rows)}): type to filter, Enter jumps to the first mention, Esc closes"), classes="title")
            yield Input(placeholder="filter", id="filter")
            yield OptionList(id="entities")
        yield Footer()

    def on_mount(self) -> None:
        self.fill("")
        self.query_one(Input).focus()

    def fill(self, term: str) -> None:
        term = term.lower().strip()
        options = self.query_one(OptionList)
        options.clear_options()
        shown = []
        for e, hay in self.rows:
            if term and term not in hay:
                continue
            per = self.corpus.per_source(e.id)
            line = Text(visible(e.name[:40]), style="bold", no_wrap=True, overflow="ellipsis")
            line.append(f"  {e.label}", style="dim")
            line.append(f"  {len(e.mentions)} in {len(per)} source{'s' if len(per) != 1 else ''}: ")
            line.append(" ".join(f"{d + 1}:{n}" for d, n in per[:8]), style="dim")
            line.append("  " + (visible(e.title) if e.title else "no article"), style="italic")
            shown.append(Option(line, id=e.id))
            if len(shown) >= SHOWN:
                break
        options.add_options(shown)
        if shown:
            options.highlighted = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        self.fill(event.value)

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            options.highlighted = ((options.highlighted or 0) + step) % options.option_count

    def action_choose(self) -> None:
        self.on_input_submitted(None)

    def on_input_submitted(self, event: Input.Submitted | None) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None and options.option_count:
            self.dismiss(options.get_option_at_index(options.highlighted).id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
