"""The help screen: every key."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS = [
    ("Reading", [("j / k", "scroll down / up"), ("space / b", "page down / up"), ("g / G", "top / bottom"),
                 ("J / K", "next / previous source"), ("s", "show or hide the source list"), ("tab", "move between list and article")]),
    ("Entities", [("] / [", "next / previous entity mention in this source"),
                  ("n / N  (* / #)", "next / previous mention of the selected entity, across all sources"),
                  ("u / ctrl+o", "back to where you jumped from"), ("x", "entity index: type to filter, Enter jumps"),
                  ("c", "compare: every sentence about the entity, by source"), ("e", "fix the link: another page or no article"),
                  ("o / y", "show / copy the Wikipedia URL"), ("p", "show or hide the entity panel")]),
    ("Other", [("/", "search in this source"), ("ctrl+p", "command palette: every action by name"),
               ("? / f1", "this help"), ("q", "quit")]),
]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close", id="close")]

    def compose(self) -> ComposeResult:
        t = Text()
        t.append("gloss keys\n", style="bold")
        for section, keys in KEYS:
            t.append(f"\n{section}\n", style="bold underline")
            for k, what in keys:
                t.append(f"  {k:<16}", style="bold")
                t.append(f"{what}\n")
        t.append("\nEsc, q or ? closes this help.", style="dim")
        with VerticalScroll(id="dialog"):
            yield Static(t)
