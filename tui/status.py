"""The one-line status bar: redrawn without a layout pass on every key, its one line drawn once per text."""

from __future__ import annotations

from rich.text import Text
from textual.strip import Strip
from textual.widget import Widget

from tui.line_list import draw_line


class StatusLine(Widget):
    DEFAULT_CSS = "StatusLine { height: 1; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.text = ""
        self._drawn: tuple[tuple, Strip] | None = None

    def show(self, text: str) -> None:
        if text != self.text:
            self.text = text
            self.refresh()

    def render(self) -> Text:
        return Text(self.text, no_wrap=True, overflow="ellipsis")

    def render_line(self, y: int) -> Strip:
        """The text cut to the width with an ellipsis, in the bar's own style (no markup: text is data)."""
        width = self.content_region.width
        base = self.rich_style
        if y:
            return Strip.blank(width, base)
        key = (self.text, width, base)
        if self._drawn is None or self._drawn[0] != key:
            line = self.render()
            line.truncate(width, overflow="ellipsis")
            self._drawn = (key, draw_line(line, base, self.app.console, width))
        return self._drawn[1]
