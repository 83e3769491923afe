"""A list that draws only the rows on screen: for 1,000 sources or entities, every key stays cheap."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

HIGHLIGHT = Style(reverse=True)
KEEP_ROWS = 1000  # drawn rows kept for redrawing (each keeps the pieces Textual cut from it)


def draw_line(text: Text, base: Style, console, width: int) -> Strip:
    """One line of text in a widget's own style, each piece's style laid on it, cut or padded to the width."""
    segments = [Segment(s.text, (base + s.style) if s.style else base) for s in text.render(console)]
    return Strip(segments).crop_extend(0, width, base)


class LazyRows(Sequence):
    """Items made when first drawn: 10,000 sources need not all be made before the first paint."""

    def __init__(self, count: int, make: Callable[[int], list[Text]]) -> None:
        self.count, self.make = count, make
        self._made: dict[int, list[Text]] = {}

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.count))]
        if not -self.count <= index < self.count:
            raise IndexError(index)
        index %= self.count
        row = self._made.get(index)
        if row is None:
            row = self._made[index] = self.make(index)
        return row


class LineList(ScrollView, can_focus=True):
    """Items of a fixed number of screen rows each, one of them highlighted."""

    BINDINGS = [
        Binding("down,j", "move(1)", "Down", show=False),
        Binding("up,k", "move(-1)", "Up", show=False),
        Binding("enter", "select", "Open", show=False),
    ]

    @dataclass
    class Selected(Message):
        line_list: LineList
        index: int

        @property
        def control(self) -> LineList:
            return self.line_list

    def __init__(self, rows_per_item: int = 1, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rows = rows_per_item
        self.items: Sequence[list[Text]] = []
        self.highlighted: int | None = None
        self._cache: dict[int, Strip] = {}

    def set_items(self, items: Sequence[list[Text]], highlighted: int | None = 0) -> None:
        self.items = items
        self.highlighted = highlighted if items else None
        self._cache.clear()
        self.virtual_size = Size(self.size.width, len(items) * self.rows)
        self.scroll_to(0, 0, animate=False)
        self.refresh()

    def _refresh_item(self, index: int | None) -> None:
        if index is None:
            return
        for r in range(self.rows):
            self._cache.pop(index * self.rows + r, None)
        y = index * self.rows - self.scroll_offset.y
        if -self.rows < y < self.size.height:
            self.refresh(Region(0, max(0, y), self.size.width, self.rows))

    def highlight(self, index: int | None) -> None:
        """Move the highlight, redrawing two items and scrolling only when needed."""
        if index == self.highlighted:
            return
        old, self.highlighted = self.highlighted, index
        self._refresh_item(old)
        self._refresh_item(index)
        if index is not None:
            # Out of view, the highlight is brought in with one item beside it on the side it came from, so a
            # highlight moving on one item at a time (a reader stepping through the sources) scrolls the list
            # once a screen, not once every few items: each scroll draws the whole list again.
            top, height = self.scroll_offset.y, self.scrollable_content_region.height
            y = index * self.rows
            if y + self.rows > top + height:
                self.scroll_to(y=max(0, y - self.rows), animate=False)
            elif y < top:
                self.scroll_to(y=max(0, y + 2 * self.rows - height), animate=False)

    def action_move(self, step: int) -> None:
        if self.items:
            self.highlight(((self.highlighted or 0) + step) % len(self.items))

    def action_select(self) -> None:
        if self.highlighted is not None:
            self.post_message(self.Selected(self, self.highlighted))

    def on_click(self, event) -> None:
        index = (event.y + self.scroll_offset.y) // self.rows
        if 0 <= index < len(self.items):
            self.highlight(index)
            self.post_message(self.Selected(self, index))

    def on_resize(self) -> None:
        self._cache.clear()
        self.virtual_size = Size(self.size.width, len(self.items) * self.rows)

    def render_line(self, y: int) -> Strip:
        row = y + self.scroll_offset.y
        width = self.scrollable_content_region.width
        index, part = divmod(row, self.rows)
        base = self.rich_style  # worked out once a line, not once a segment
        if index >= len(self.items):
            return Strip.blank(width, base)
        strip = self._cache.get(row)
        if strip is None:
            if len(self._cache) >= KEEP_ROWS:  # a long scroll through 10,000 sources keeps a few screens, not all
                self._cache.clear()
            lines = self.items[index]
            text = lines[part].copy() if part < len(lines) else Text("")
            text.no_wrap, text.overflow = True, "ellipsis"
            text.truncate(width, overflow="ellipsis", pad=True)
            if index == self.highlighted:
                text.stylize(HIGHLIGHT)
            strip = self._cache[row] = draw_line(text, base, self.app.console, width)
        return strip


class Rows(Widget):
    """A few lines of text, one line each (cut with an ellipsis, never wrapped). Given new lines, it draws
    again only those that differ, and lays the screen out again only when their number changes."""

    DEFAULT_CSS = "Rows { height: auto; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.lines: list[Text] = []
        self._cache: dict[int, tuple[tuple, Strip]] = {}

    def set_lines(self, lines: list[Text]) -> None:
        old, self.lines = self.lines, lines
        if len(lines) != len(old):
            self._cache.clear()
            self.refresh(layout=True)
            return
        for y, (was, now) in enumerate(zip(old, lines)):
            if was.plain != now.plain or was.spans != now.spans or was.style != now.style:
                self._cache.pop(y, None)
                self.refresh(Region(0, y, self.size.width, 1))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines)

    def render(self) -> Text:
        return Text("\n").join(self.lines)

    def render_line(self, y: int) -> Strip:
        width = self.content_region.width
        base = self.rich_style
        if y >= len(self.lines):
            return Strip.blank(width, base)
        drawn = self._cache.get(y)
        if drawn is None or drawn[0] != (width, base):
            text = self.lines[y].copy()
            text.no_wrap = True
            text.truncate(width, overflow="ellipsis")
            drawn = self._cache[y] = ((width, base), draw_line(text, base, self.app.console, width))
        return drawn[1]
