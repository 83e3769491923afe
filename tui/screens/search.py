"""The search prompt: a line of text to find in the current source."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class SearchScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape,ctrl+q", "dismiss_none", "Cancel", id="cancel")]

    def __init__(self, last: str = "") -> None:
        super().__init__()
        self.last = last

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt"):
            yield Static("Search this source (Enter finds the next match, Esc cancels)", classes="title")
            yield Input(value=self.last, placeholder="text to find", id="term")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
