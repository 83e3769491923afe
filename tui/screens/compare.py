"""Compare: every sentence that mentions the selected entity, grouped by source."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from tui.text import visible
from tui.navigation import Corpus, Pos


class CompareScreen(Screen[Pos | None]):
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

    def compose(self) -> ComposeResult:
        ent = self.corpus.entities[self.entity]
        with Vertical(id="dialog"):
            yield Static(Text(f"How each source tells it: {visible(ent.name)}  (Enter jumps there, Esc closes)"), classes="title")
            yield OptionList(id="sentences")
        yield Footer()

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        seen: set[tuple[int, int, int]] = set()
        current_doc = None
        items = []
        for pos in self.corpus.by_entity.get(self.entity, []):
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
                items.append(Option(head, disabled=True))
            text = self.corpus.articles[pos[0]].text
            m = self.corpus.mention(pos).mention
            line = Text("  " + visible(text[a : m.start].lstrip()))
            line.append(visible(text[m.start : m.end]), style="bold reverse")
            line.append(visible(text[m.end : b].rstrip()))
            key = f"{pos[0]}:{pos[1]}"
            self.targets[key] = pos
            items.append(Option(line, id=key))
        options.add_options(items)
        first = next((i for i, o in enumerate(items) if not o.disabled), None)
        if first is not None:
            options.highlighted = first
        options.focus()

    def action_cursor(self, step: int) -> None:
        options = self.query_one(OptionList)
        (options.action_cursor_down if step > 0 else options.action_cursor_up)()

    def action_select(self) -> None:
        self.query_one(OptionList).action_select()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.targets.get(event.option.id or ""))

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
