"""The stories screen: the stored articles grouped into stories; Enter opens one."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

from tui.keybar import KeyBar
from tui.line_list import LineList
from tui.text import visible


def story_lines(story) -> list[Text]:
    """Two lines per story: its title; then articles, dates, outlets and the names it is about."""
    first, last = story.dates
    when = first if first == last else f"{first} to {last}"
    head = Text(visible(story.title[:100]), style="bold")
    n = len(story.items)
    meta = Text(f"  {n} article{'s' if n != 1 else ''} · {when or 'undated'} · {visible(', '.join(story.sites[:3])) or 'no site names'} · ", style="dim")
    meta.append(visible(", ".join(story.entities[:5])), style="italic")
    return [head, meta]


class StoriesScreen(Screen[None]):
    BINDINGS = [
        Binding("down,j", "move(1)", show=False),
        Binding("up,k", "move(-1)", show=False),
        Binding("enter", "open", "Open story", id="open_story"),
    ]

    def __init__(self, stories: list) -> None:
        super().__init__()
        self.stories = stories

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(f"Stories ({len(self.stories)}): Enter opens one; S in the reader comes back here"), classes="title")
            yield LineList(rows_per_item=2, id="stories")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(LineList).set_items([story_lines(s) for s in self.stories], 0)
        self.query_one(LineList).focus()

    def action_move(self, step: int) -> None:
        self.query_one(LineList).action_move(step)

    def action_open(self) -> None:
        index = self.query_one(LineList).highlighted
        if index is not None and self.stories:
            self.app.open_story(self.stories[index])

    def on_line_list_selected(self, event: LineList.Selected) -> None:
        self.app.open_story(self.stories[event.index])
