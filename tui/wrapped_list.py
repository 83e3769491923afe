"""A list of items of several lines each (a head, or a sentence wrapped under it), for the compare view.

Each item is wrapped once, when it is added, with the article pane's wrap, and the list is drawn
a line at a time from the lines on screen. Textual's OptionList wrapped each item twice (to
measure it, then to draw it) and drew through its own renderer: 20 to 30 ms to show the first
40 sentences of an entity, where this takes a few.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.strip import Strip

from tui.article_view import resize_content, wrap
from tui.line_list import KEEP_ROWS
from tui.scroll_column import ScrollColumn

INDENT = 2  # a sentence's lines stand under its source's head
MARK = Style(bold=True, reverse=True)


@dataclass(frozen=True)
class Entry:
    """One item: a head (no key: the highlight passes over it) or a line of text the reader can choose."""

    text: str  # shown as it is: made visible (no control characters) by the caller
    key: str | None = None
    mark: tuple[int, int] | None = None  # a part of the text set off (the mention in its sentence)


class WrappedList(ScrollColumn, can_focus=True):
    COMPONENT_CLASSES = {"wrapped-list--head", "wrapped-list--highlight"}
    DEFAULT_CSS = """
    WrappedList {
        color: $foreground;
        border: tall $border-blurred;
        padding: 0 1;
        background: $surface;
        & > .wrapped-list--head { color: $text-disabled; text-style: bold reverse; }
        & > .wrapped-list--highlight {
            color: $foreground;
            background: $block-cursor-blurred-background;
        }
        &:focus {
            border: tall $border;
            background-tint: $foreground 5%;
            & > .wrapped-list--highlight {
                color: $block-cursor-foreground;
                background: $block-cursor-background;
                text-style: $block-cursor-text-style;
            }
        }
    }
    """
    BINDINGS = [
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("home", "edge(-1)", show=False),
        Binding("end", "edge(1)", show=False),
        Binding("enter", "select", show=False),
    ]

    @dataclass
    class Selected(Message):
        wrapped_list: WrappedList
        key: str

        @property
        def control(self) -> WrappedList:
            return self.wrapped_list

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.entries: list[Entry] = []
        self.first: list[int] = []  # each entry's first row
        self.rows: list[tuple[int, int, int]] = []  # each row: its entry, and the part of the entry's text
        self.highlighted: int | None = None
        self._wrapped_for = 0
        self._cache: dict[int, Strip] = {}
        self._styles: tuple = ()

    # -- content ---------------------------------------------------------------------------------------
    def _wrap_width(self) -> int:
        return max(self.text_width() - INDENT - 1, 10)

    def _wrap(self, index: int, width: int) -> None:
        entry = self.entries[index]
        self.first.append(len(self.rows))
        self.rows.extend((index, s, e) for s, e in wrap(entry.text, width if entry.key is None else width - INDENT))

    def clear(self) -> None:
        """No entries (the content's size is set by the next :meth:`add`, so a list made again at once is
        laid out once, if at all). The old entries and drawn lines are let go after the next paint: freeing
        thousands of them is no part of a key's time."""
        dropped = [self.entries, self.first, self.rows, self._cache]
        self.call_after_refresh(dropped.clear)
        self.entries, self.first, self.rows, self._cache, self.highlighted = [], [], [], {}, None
        self.scroll_to(0, 0, animate=False)
        self.refresh()

    def add(self, entries: Iterable[Entry], rows: int = 0) -> int:
        """Entries at the end, drawn at once if they come into view; with `rows`, only until the list is longer
        than that (the rest are left in `entries`). The content's size is set once, at the end, and the bar
        drawn again only if it looks different. Returns how many were added."""
        width, start, count = self._wrapped_for or self._wrap_width(), len(self.rows), len(self.entries)
        self._wrapped_for = width
        for entry in entries:
            self.entries.append(entry)
            self._wrap(len(self.entries) - 1, width)
            if rows and len(self.rows) > rows:
                break
        if self.virtual_size.height != len(self.rows):
            resize_content(self, Size(self.size.width, len(self.rows)))
            self.bar_changed()
        top = self.scroll_offset.y
        if start < len(self.rows) and start < top + self.size.height:
            self.refresh(Region(0, start - top, self.size.width, self.size.height - (start - top)))
        return len(self.entries) - count

    def on_resize(self) -> None:
        width = self._wrap_width()
        if width != self._wrapped_for and self.entries:
            self.first, self.rows = [], []
            for index in range(len(self.entries)):
                self._wrap(index, width)
            resize_content(self, Size(self.size.width, len(self.rows)))
            if self.highlighted is not None:
                self._bring_into_view(self.highlighted)
        self._wrapped_for = width
        self._cache.clear()

    # -- the highlight ---------------------------------------------------------------------------------
    def _span(self, index: int) -> tuple[int, int]:
        """The rows of an entry: first, and one past its last."""
        return self.first[index], self.first[index + 1] if index + 1 < len(self.first) else len(self.rows)

    def _redraw(self, index: int | None) -> None:
        if index is None or index >= len(self.entries):
            return
        a, b = self._span(index)
        for row in range(a, b):
            self._cache.pop(row, None)
        top = self.scroll_offset.y
        if b > top and a < top + self.size.height:
            self.refresh(Region(0, max(0, a - top), self.size.width, b - max(a, top)))

    def _bring_into_view(self, index: int) -> None:
        a, b = self._span(index)
        top, height = self.scroll_offset.y, self.scrollable_content_region.height
        if a > 0 and self.entries[index - 1].key is None:
            a = self.first[index - 1]  # the head of the first sentence of a source comes with it
        if b > top + height:
            self.scroll_to(y=max(0, min(a, b - height)), animate=False)
        elif a < top:
            self.scroll_to(y=a, animate=False)

    def highlight(self, index: int | None) -> None:
        if index == self.highlighted:
            return
        old, self.highlighted = self.highlighted, index
        self._redraw(old)
        self._redraw(index)
        if index is not None:
            self._bring_into_view(index)

    def _choosable(self, start: int, step: int) -> int | None:
        index = start
        while 0 <= index < len(self.entries):
            if self.entries[index].key is not None:
                return index
            index += step
        return None

    def action_move(self, step: int) -> None:
        if self.highlighted is None:
            self.highlight(self._choosable(0, 1))
            return
        found = self._choosable(self.highlighted + step, step)
        if found is not None:
            self.highlight(found)

    def action_page(self, step: int) -> None:
        if self.highlighted is None:
            return self.action_move(step)
        row = self.first[self.highlighted] + step * max(1, self.scrollable_content_region.height - 1)
        row = min(max(row, 0), len(self.rows) - 1)
        index = self.rows[row][0]
        self.highlight(self._choosable(index, step) or self._choosable(index, -step))

    def action_edge(self, step: int) -> None:
        self.highlight(self._choosable(len(self.entries) - 1, -1) if step > 0 else self._choosable(0, 1))

    def action_select(self) -> None:
        if self.highlighted is not None:
            self.post_message(self.Selected(self, self.entries[self.highlighted].key))

    def on_click(self, event) -> None:
        if self.on_bar(event):
            return
        row = event.y + self.scroll_offset.y
        if 0 <= row < len(self.rows) and self.entries[self.rows[row][0]].key is not None:
            self.highlight(self.rows[row][0])
            self.action_select()

    # -- drawing ---------------------------------------------------------------------------------------
    def render_lines(self, crop: Region) -> list[Strip]:
        styles = (self.rich_style, self.get_component_rich_style("wrapped-list--head"), self.get_component_rich_style("wrapped-list--highlight"))
        if styles != self._styles:  # once a frame, not once a line; a new theme or the focus redraws all
            self._styles = styles
            self._cache.clear()
        self.draw_bar()
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        row = y + self.frame_top
        width = self.frame_width
        base, head, lit = self._styles
        if row >= len(self.rows):
            return self.with_bar(Strip.blank(width, base), y)
        strip = self._cache.get(row)
        if strip is None or strip.cell_length != width:
            if len(self._cache) >= KEEP_ROWS:
                self._cache.clear()
            index, start, end = self.rows[row]
            entry = self.entries[index]
            style = base + head if entry.key is None else base
            if index == self.highlighted:
                style += lit
            text = entry.text[start:end].rstrip()
            segments = [Segment(" " * INDENT, style)] if entry.key is not None else []
            cuts = [0, len(text)]
            if entry.mark is not None:
                a, b = (min(max(p - start, 0), len(text)) for p in entry.mark)
                cuts = sorted({0, a, b, len(text)})
            for x, z in zip(cuts, cuts[1:]):
                marked = entry.mark is not None and entry.mark[0] <= start + x and start + z <= entry.mark[1]
                segments.append(Segment(text[x:z], style + MARK if marked else style))
            strip = self._cache[row] = Strip(segments).crop_extend(0, width, style)
        return self.with_bar(strip, y)
