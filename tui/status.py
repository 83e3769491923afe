"""The one-line status bar: redrawn without a layout pass on every key, its one line drawn once per text."""

from __future__ import annotations

from rich.text import Text

from tui.line_list import Rows


class StatusLine(Rows):
    DEFAULT_CSS = "StatusLine { height: 1; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.text = ""

    def show(self, text: str) -> None:
        """The text as data (no markup), cut to the width with an ellipsis."""
        if text != self.text:
            self.text = text
            self.set_lines([Text(text)])
