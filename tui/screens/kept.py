"""A screen that is shown again and again (the index, the compare view): kept, and restyled only when needed."""

from __future__ import annotations

from textual import events
from textual.message import Message
from textual.screen import Screen, ScreenResultType


class KeptScreen(Screen[ScreenResultType]):
    """Textual applies the whole stylesheet again to a screen each time it is pushed, in case the theme
    changed while it was hidden; that redraws every widget on it (4 ms and a full frame for the index).
    A kept screen is restyled only when the theme, the colours or the stylesheet did change."""

    # The screen's own lines are its background alone (its widgets cover them): drawn as Textual draws a
    # blank widget, not line by line through the styles (1.2 to 1.4 ms of each frame the screen is shown).
    BLANK = True
    _styled_with: tuple | None = None

    def _style_state(self) -> tuple:
        app = self.app
        return (app.theme, app.ansi_color, frozenset(app.classes), id(app.stylesheet.rules))

    def post_message(self, message: Message) -> bool:
        if isinstance(message, events.ScreenResume):
            state = self._style_state()
            if message.refresh_styles and state == self._styled_with:
                message.refresh_styles = False
            self._styled_with = state
        return super().post_message(message)
