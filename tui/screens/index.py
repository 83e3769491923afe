"""The entity index, after Kindle X-Ray: every entity, its mentions per source; type to filter."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from tui.keybar import KeyBar
from tui.line_list import LineList
from tui.screens.kept import KeptScreen
from tui.navigation import Corpus
from tui.text import visible


class IndexScreen(KeptScreen[str | None]):
    BINDINGS = [
        Binding("escape", "dismiss_none", "Close", id="close"),
        Binding("ctrl+q", "dismiss_none", "Close", show=False),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
    ]

    def __init__(self, corpus: Corpus) -> None:
        super().__init__()
        self.corpus = corpus
        self.rows = [(e.id, self.line(e), (e.name + " " + (e.title or "")).lower()) for e in corpus.order]
        self.shown: list[str] = []

    def line(self, e) -> Text:
        per = self.corpus.per_source(e.id)
        line = Text(visible(e.name[:40]), style="bold")
        line.append(f"  {e.label}", style="dim")
        line.append(f"  {len(e.mentions)} in {len(per)} source{'s' if len(per) != 1 else ''}: ")
        line.append(" ".join(f"{d + 1}:{n}" for d, n in per[:8]) + (" …" if len(per) > 8 else ""), style="dim")
        line.append("  " + (visible(e.title) if e.title else "no article"), style="italic")
        return line

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(f"Entities ({len(self.rows)}): type to filter, Enter jumps to the first mention, Esc closes"), classes="title")
            yield Input(placeholder="filter", id="filter")
            yield LineList(id="entities")
        yield KeyBar()

    def on_mount(self) -> None:
        self.fill("")
        self.query_one(Input).focus()

    def on_screen_resume(self) -> None:
        """Reopened: start again from the whole list."""
        field = self.query_one(Input)
        if field.value:
            field.value = ""
        field.focus()

    def fill(self, term: str) -> None:
        term = term.lower().strip()
        rows = [(eid, line) for eid, line, hay in self.rows if not term or term in hay]
        self.shown = [eid for eid, _ in rows]
        self.query_one(LineList).set_items([[line] for _, line in rows], 0)

    def on_input_changed(self, event: Input.Changed) -> None:
        self.fill(event.value)

    def action_move(self, step: int) -> None:
        self.query_one(LineList).action_move(step)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        index = self.query_one(LineList).highlighted
        if index is not None and self.shown:
            self.dismiss(self.shown[index])

    def on_line_list_selected(self, event: LineList.Selected) -> None:
        self.dismiss(self.shown[event.index])

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
