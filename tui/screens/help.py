"""The help screen: every key."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.keys import KEYS, shown


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close", id="close")]

    def compose(self) -> ComposeResult:
        t = Text()
        t.append("gloss keys\n", style="bold")
        section = None
        for key in KEYS:
            if key.section != section:
                section = key.section
                t.append(f"\n{section}\n", style="bold underline")
            t.append(f"  {shown(key):<16}", style="bold")
            t.append(f"{key.what}\n")
        t.append("\nEsc, q or ? closes this help.", style="dim")
        with VerticalScroll(id="dialog"):
            yield Static(t)
