"""The screen's keys on one line, in the look of Textual's Footer.

Textual's Footer is a widget per key, composed again whenever the screen's bindings are
published (each time a screen is shown or the focus moves), so showing the index or
going back to the article cost a layout and up to three frames for it. This bar is one
widget: it is drawn again only when the keys it shows change.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.text import Text
from textual import events
from textual.strip import Strip
from textual.widget import Widget

from tui.line_list import draw_line


class Shown(NamedTuple):
    key: str  # the key as Textual names it (for a click)
    display: str  # the key as shown
    description: str
    enabled: bool


class KeyBar(Widget, can_focus=False):
    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"keybar--key", "keybar--description", "keybar--separator"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .keybar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .keybar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .keybar--separator {
            color: $foreground 20%;
        }
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.keys: tuple[Shown, ...] = ()
        self.palette: Shown | None = None
        self._drawn: tuple[tuple, Strip, list[tuple[int, int, str]]] | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self.bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen) -> None:
        """The screen's keys that are shown, the first key of each action; redrawn only if they changed."""
        active = screen.active_bindings
        keys: dict[str, Shown] = {}
        for _node, binding, enabled, _tooltip in active.values():
            if binding.show and binding.action not in keys:
                keys[binding.action] = Shown(binding.key, self.app.get_key_display(binding), binding.description, enabled)
        palette = None
        if self.app.ENABLE_COMMAND_PALETTE and self.app.COMMAND_PALETTE_BINDING in active:
            _node, binding, enabled, _tooltip = active[self.app.COMMAND_PALETTE_BINDING]
            palette = Shown(binding.key, self.app.get_key_display(binding), binding.description, enabled)
        shown = tuple(keys.values())
        if (shown, palette) != (self.keys, self.palette):
            self.keys, self.palette = shown, palette
            self.refresh()

    def _piece(self, k: Shown, pad: str = " ") -> Text:
        """A key and what it does; the palette's key is set against the separator, as in the Footer."""
        piece = Text.assemble((f"{pad}{k.display} ", self.get_component_rich_style("keybar--key")))
        if k.description:
            piece.append(f"{k.description} ", self.get_component_rich_style("keybar--description"))
        if not k.enabled:
            piece.stylize("dim")
        return piece

    def _draw(self, width: int) -> tuple[Strip, list[tuple[int, int, str]]]:
        """The line, and where each key lies on it (start, end, key)."""
        base = self.rich_style
        state = (width, base, self.keys, self.palette, self.get_component_rich_style("keybar--key"))
        if self._drawn is None or self._drawn[0] != state:
            right = Text()
            if self.palette is not None:
                right = Text.assemble(("▏", self.get_component_rich_style("keybar--separator")), self._piece(self.palette, pad=""))
            room = max(0, width - right.cell_len)
            left, places = Text(), []
            for k in self.keys:
                piece = self._piece(k)
                start = left.cell_len
                left.append_text(piece)
                places.append((start, min(left.cell_len, room), k.key))
            left.truncate(room, overflow="ellipsis", pad=True)
            if right:
                places.append((room, width, self.palette.key))
            line = Text.assemble(left, right)
            line.no_wrap = True
            self._drawn = (state, draw_line(line, base, self.app.console, width), [p for p in places if p[0] < p[1]])
        return self._drawn[1], self._drawn[2]

    def render_line(self, y: int) -> Strip:
        width = self.content_region.width
        if y:
            return Strip.blank(width, self.rich_style)
        return self._draw(width)[0]

    def on_click(self, event: events.Click) -> None:
        """A click on a key is that key."""
        for start, end, key in self._draw(self.content_region.width)[1]:
            if start <= event.x < end:
                event.stop()
                self.app.simulate_key(key)
                return
