"""The article pane: wrapped text with every mention highlighted, drawn line by line.

Text is always data: control characters are shown as visible symbols (one cell
for one character, so offsets stay put) and nothing is parsed as markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.text import visible

WORDS = re.compile(r"\S+\s*")

# Colour plus a cue that survives 16 colours and NO_COLOR (underline, bold, italic).
LABEL_STYLES = {
    "PERSON": Style(color="cyan", bold=True, underline=True),
    "NORP": Style(color="yellow", underline=True),
    "GPE": Style(color="green", underline=True),
    "LOC": Style(color="green", underline=True, italic=True),
    "FAC": Style(color="blue", underline=True, italic=True),
    "ORG": Style(color="magenta", italic=True, underline=True),
}
OTHER_STYLE = Style(color="red", underline=True)
SELECTED = Style(reverse=True)
CURRENT = Style(reverse=True, bold=True, underline=True)
MATCH = Style(bgcolor="yellow", color="black")
CURRENT_MATCH = Style(bgcolor="bright_yellow", color="black", bold=True, underline=True)


def wrap(text: str, width: int) -> list[tuple[int, int]]:
    """Greedy word wrap; returns (start, end) offsets of each screen line."""
    width = max(width, 10)
    lines: list[tuple[int, int]] = []
    pos = 0
    for para in text.split("\n"):
        start = pos
        if not para.strip():
            lines.append((start, start))
        else:
            line_start, used = start, 0
            for m in WORDS.finditer(para):
                ws, we = start + m.start(), start + m.end()
                word = m.group().rstrip()
                wlen = cell_len(word)
                if used and used + wlen > width:
                    lines.append((line_start, ws))
                    line_start, used = ws, 0
                while wlen > width:  # a word longer than the line is cut
                    cut = ws
                    while cut < we and cell_len(text[ws : cut + 1]) <= width:
                        cut += 1
                    cut = max(cut, ws + 1)
                    lines.append((ws, cut))
                    ws = line_start = cut
                    wlen = cell_len(text[ws:we].rstrip())
                    used = 0
                used += cell_len(text[ws:we])
            lines.append((line_start, start + len(para)))
        pos += len(para) + 1
    return lines


class ArticleView(ScrollView, can_focus=True):
    """Scrollable, highlighted article text."""

    @dataclass
    class Clicked(Message):
        """The reader clicked at a character offset of the article."""

        offset: int

    DEFAULT_CSS = """
    ArticleView { padding: 0 1; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.text = ""
        self.shown = ""
        self.spans: list[tuple[int, int, str, str]] = []  # start, end, label, entity id
        self.selected: str | None = None
        self.current: tuple[int, int] | None = None
        self.matches: list[tuple[int, int]] = []
        self.current_match = -1
        self.lines: list[tuple[int, int]] = []
        self._wrapped_for = -1
        self._cache: dict[int, Strip] = {}
        self._base = Style()  # the widget's own style, as of the frame being drawn

    def show(self, text: str, spans: list[tuple[int, int, str, str]]) -> None:
        self.text, self.shown, self.spans = text, visible(text), spans
        self._wrapped_for = -1
        self.matches = []
        self.current_match = -1
        self._rewrap()
        self.scroll_to(0, 0, animate=False)

    def mark(self, selected: str | None, current: tuple[int, int] | None) -> None:
        """Change which entity and which mention stand out: only styles change.

        When only the current mention moves, just the lines it leaves and enters are redrawn.
        """
        if selected != self.selected:
            self.selected, self.current = selected, current
            self._cache.clear()
            self.refresh()
            return
        lines = set()
        for span in (self.current, current):
            if span:
                lines.update(range(self.line_of(span[0]), self.line_of(max(span[0], span[1] - 1)) + 1))
        self.current = current
        top = self.scroll_offset.y
        width = self.size.width
        for y in lines:
            self._cache.pop(y, None)
            if top <= y < top + self.size.height:
                self.refresh(Region(0, y - top, width, 1))

    def _rewrap(self) -> None:
        width = max(self.scrollable_content_region.width - 1, 10)
        if width != self._wrapped_for:
            self.lines = wrap(self.shown, width)  # the shown text: the wrap measures what is drawn
            self._wrapped_for = width
            self._resize_content(Size(width, len(self.lines)))
        self._cache.clear()
        self.refresh()

    def _resize_content(self, size: Size) -> None:
        """A new article's length. Setting `virtual_size` lays the whole screen out again, which costs more
        than drawing the article; when the scrollbar stays as it is (both articles longer than the view, or
        both shorter), only this widget and its scrollbar are updated (Textual's own path for a size
        found without layout)."""
        height = self.scrollable_content_region.height
        same_bar = (size.height > height) == (self.virtual_size.height > height) and height > 0
        if same_bar and size.width == self.virtual_size.width and hasattr(self, "_scroll_update"):
            self.set_reactive(ArticleView.virtual_size, size)
            self._scroll_update(size)
        else:
            self.virtual_size = size

    def on_resize(self) -> None:
        self._rewrap()

    def line_of(self, offset: int) -> int:
        lo, hi = 0, len(self.lines) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.lines[mid][0] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return max(lo, 0)

    def reveal(self, offset: int) -> None:
        """Scroll so the line holding `offset` is in view, a little below the top."""
        y = self.line_of(offset)
        top, height = self.scroll_offset.y, self.scrollable_content_region.height
        if not (top <= y < top + height - 1):
            self.scroll_to(y=max(0, y - height // 3), animate=False)

    def offset_at(self, x: int, y: int) -> int | None:
        """The character offset under a screen cell of this widget, if any."""
        index = y + self.scroll_offset.y
        if not 0 <= index < len(self.lines):
            return None
        start, end = self.lines[index]
        column = x + self.scroll_offset.x - self.styles.padding.left
        used = 0
        for pos in range(start, end):
            used += cell_len(self.shown[pos])
            if used > column:
                return pos
        return None

    def on_click(self, event) -> None:
        offset = self.offset_at(event.x, event.y)
        if offset is not None:
            self.post_message(self.Clicked(offset))

    def render_lines(self, crop: Region) -> list[Strip]:
        self._base = self.rich_style  # once a frame, not once a line: it walks the widget's ancestors
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        index = y + self.scroll_offset.y
        width = self.scrollable_content_region.width
        base = self._base
        if index >= len(self.lines):
            return Strip.blank(width, base)
        strip = self._cache.get(index)
        if strip is None:
            strip = self._render(index)
            self._cache[index] = strip
        return strip.crop_extend(self.scroll_offset.x, self.scroll_offset.x + width, base)

    def _render(self, index: int) -> Strip:
        start, end = self.lines[index]
        line = Text(self.shown[start:end].rstrip("\n"), end="", no_wrap=True)
        for s, e, label, ent in self.spans:
            if e <= start or s >= end:
                continue
            a, b = max(s, start) - start, min(e, end) - start
            line.stylize(LABEL_STYLES.get(label, OTHER_STYLE), a, b)
            if ent == self.selected:
                line.stylize(SELECTED, a, b)
            if self.current == (s, e):
                line.stylize(CURRENT, a, b)
        for n, (s, e) in enumerate(self.matches):
            if s < end and e > start:
                line.stylize(CURRENT_MATCH if n == self.current_match else MATCH, max(s, start) - start, min(e, end) - start)
        base = self._base
        return Strip([Segment(seg.text, (base + seg.style) if seg.style else base) for seg in line.render(self.app.console)])
