"""The article pane: wrapped text with every mention highlighted, drawn line by line.

Text is always data: control characters are shown as visible symbols (one cell
for one character, so offsets stay put) and nothing is parsed as markup.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

from rich.cells import cell_len, get_character_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.scroll_column import ScrollColumn
from tui.text import visible

WORDS = re.compile(r"\S+\s*")
PREPARED = 4  # articles kept wrapped ahead of the keys that show them

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
            # A cell a character, as in most articles (the shown text has no control characters): len is enough.
            cells = len if para.isascii() or all(get_character_cell_size(ch) == 1 for ch in set(para)) else cell_len
            line_start, used = start, 0
            for m in WORDS.finditer(para):
                ws, we = start + m.start(), start + m.end()
                word = m.group().rstrip()
                wlen = cells(word)
                if used and used + wlen > width:
                    lines.append((line_start, ws))
                    line_start, used = ws, 0
                while wlen > width:  # a word longer than the line is cut
                    cut = ws
                    while cut < we and cells(text[ws : cut + 1]) <= width:
                        cut += 1
                    cut = max(cut, ws + 1)
                    lines.append((ws, cut))
                    ws = line_start = cut
                    wlen = cells(text[ws:we].rstrip())
                    used = 0
                used += cells(text[ws:we])
            lines.append((line_start, start + len(para)))
        pos += len(para) + 1
    return lines


def resize_content(view: ScrollView, size: Size) -> None:
    """A scroll view's new content size. Setting `virtual_size` lays the whole screen out again, which costs
    more than drawing the view; when the scrollbar stays as it is (always shown, as by `overflow-y: scroll`,
    or both contents longer than the view, or both shorter), only the view and its scrollbar are updated
    (Textual's own path for a size found without layout)."""
    height = view.scrollable_content_region.height
    same_bar = height > 0 and (view.styles.overflow_y == "scroll" or (size.height > height) == (view.virtual_size.height > height))
    if same_bar and size.width == view.virtual_size.width and hasattr(view, "_scroll_update"):
        view.set_reactive(type(view).virtual_size, size)
        view._scroll_update(size)
    else:
        view.virtual_size = size


class ArticleView(ScrollColumn, can_focus=True):
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
        self._order: list[int] = []  # the spans' indexes by start
        self._starts: list[int] = []
        self._longest = 0
        self.selected: str | None = None
        self.current: tuple[int, int] | None = None
        self.matches: list[tuple[int, int]] = []
        self.current_match = -1
        self.lines: list[tuple[int, int]] = []
        self._wrapped_for = -1
        self._cache: dict[int, Strip] = {}
        self._base = Style()  # the widget's own style, as of the frame being drawn
        self._prepared: dict[int, tuple[str, int, str, list[tuple[int, int]]]] = {}  # id(text) -> text, width, shown, lines

    def prepare(self, text: str) -> None:
        """Make an article ready to show (its shown text wrapped to this width) ahead of the key that shows it;
        the last few are kept."""
        if self._ready(text) is None:
            if len(self._prepared) >= PREPARED:
                self._prepared.clear()
            width, shown = self._wrap_width(), visible(text)
            self._prepared[id(text)] = (text, width, shown, wrap(shown, width))

    def _ready(self, text: str) -> tuple[str, int, str, list[tuple[int, int]]] | None:
        """This very text, prepared for the width it would be shown at now, if it was."""
        ready = self._prepared.get(id(text))
        return ready if ready is not None and ready[0] is text and ready[1] == self._wrap_width() else None

    def show(self, text: str, spans: list[tuple[int, int, str, str]]) -> None:
        ready = self._ready(text)
        self.text, self.shown, self.spans = text, ready[2] if ready else visible(text), spans
        # A line finds its spans by bisection, not by a walk over the article's hundreds of mentions.
        self._order = sorted(range(len(spans)), key=lambda k: spans[k][0])
        self._starts = [spans[k][0] for k in self._order]
        self._longest = max((e - s for s, e, _, _ in spans), default=0)
        self._wrapped_for = -1
        self.matches = []
        self.current_match = -1
        self._rewrap(ready[3] if ready else None)
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

    def _wrap_width(self) -> int:
        return max(self.text_width() - 1, 10)

    def _rewrap(self, lines: list[tuple[int, int]] | None = None) -> None:
        width = self._wrap_width()
        if width != self._wrapped_for:
            self.lines = lines or wrap(self.shown, width)  # the shown text: the wrap measures what is drawn
            self._wrapped_for = width
            resize_content(self, Size(width, len(self.lines)))
        self._cache.clear()
        self.refresh()

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
        if self.on_bar(event):
            return
        offset = self.offset_at(event.x, event.y)
        if offset is not None:
            self.post_message(self.Clicked(offset))

    def render_lines(self, crop: Region) -> list[Strip]:
        self._base = self.rich_style  # once a frame, not once a line: it walks the widget's ancestors
        self.draw_bar()
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        index = y + self.frame_top
        width = self.frame_width
        base = self._base
        if index >= len(self.lines):
            return self.with_bar(Strip.blank(width, base), y)
        strip = self._cache.get(index)
        if strip is None or strip.cell_length != width:
            strip = self._cache[index] = self._render(index).crop_extend(0, width, base)
        return self.with_bar(strip, y)  # lines are wrapped to the width: no scrolling sideways

    def _render(self, index: int) -> Strip:
        """One screen line: its text cut where a highlight starts or ends, each piece in the styles laid on it
        (label, then selection, then the current mention, then search matches; a later one wins)."""
        start, end = self.lines[index]
        text = self.shown[start:end].rstrip("\n")
        end = start + len(text)
        marks: list[tuple[int, int, Style]] = []
        lo = bisect_left(self._starts, start - self._longest)
        for k in sorted(self._order[lo : bisect_left(self._starts, end)]):  # the order they are laid on
            s, e, label, ent = self.spans[k]
            if e <= start:
                continue
            a, b = max(s, start) - start, min(e, end) - start
            marks.append((a, b, LABEL_STYLES.get(label, OTHER_STYLE)))
            if ent == self.selected:
                marks.append((a, b, SELECTED))
            if self.current == (s, e):
                marks.append((a, b, CURRENT))
        for n, (s, e) in enumerate(self.matches):
            if s < end and e > start:
                marks.append((max(s, start) - start, min(e, end) - start, CURRENT_MATCH if n == self.current_match else MATCH))
        base = self._base
        if not marks:
            return Strip([Segment(text, base)] if text else [])
        cuts = sorted({0, len(text), *(a for a, _, _ in marks), *(b for _, b, _ in marks)})
        segments = []
        for x, y in zip(cuts, cuts[1:]):
            style = base
            for a, b, laid in marks:
                if a <= x and y <= b:
                    style += laid
            segments.append(Segment(text[x:y], style))
        return Strip(segments)
