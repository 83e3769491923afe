"""Fix a link: pick another candidate page, or "no article", for an entity."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from linker.model import Entity
from tui.text import visible

NO_ARTICLE = "\0nil"


class FixScreen(ModalScreen[str | None]):
    """Dismisses with a page title, NO_ARTICLE, or None (cancelled)."""

    BINDINGS = [Binding("escape,q", "dismiss_none", "Cancel", id="cancel"), Binding("j", "cursor(1)", show=False), Binding("k", "cursor(-1)", show=False)]

    def __init__(self, entity: Entity) -> None:
        super().__init__()
        self.entity = entity

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(f"Link {visible(self.entity.name)} to… (Enter chooses, Esc cancels)"), classes="title")
            yield OptionList(id="choices")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        items = []
        for c in self.entity.candidates:
            line = Text(visible(c.title), style="bold")
            if c.description:
                line.append(" · " + visible(c.description), style="italic")
            line.append(f"  score {c.score:.2f}", style="dim")
            if c.title == self.entity.title:
                line.append("  (current)", style="dim")
            items.append(Option(line, id=c.title))
        items.append(Option(Text("No article: this name has no Wikipedia page", style="italic"), id=NO_ARTICLE))
        options.add_options(items)
        options.highlighted = 0
        options.focus()

    def action_cursor(self, step: int) -> None:
        options = self.query_one(OptionList)
        (options.action_cursor_down if step > 0 else options.action_cursor_up)()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
