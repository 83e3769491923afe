"""A scroll view that draws its vertical scrollbar itself, as the last two cells of each of its lines.

Textual's scrollbar is a widget of its own. Each time the view scrolls or its content grows, that widget
is drawn again through Textual's per-line styling: 1.3 to 2.3 ms of a frame at 120x40, for a column of
blanks. Here the same bar (Textual's own ``ScrollBarRender``, in the same colours) is made once per position
and each of its cells is appended to the line the view draws anyway. Textual's scrollbar is kept out of
the layout (``scrollbar-size-vertical: 0``) while scrolling by keys, wheel and code stays Textual's; the
bar is always drawn (``overflow-y: scroll``), so a new content size never shows or hides it, which would lay
the screen out again. Lines are drawn to the view's width: nothing scrolls sideways.
"""

from __future__ import annotations

from math import ceil

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Region
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBarRender
from textual.strip import Strip

BAR = 2  # cells: Textual's default vertical scrollbar width


class ScrollColumn(ScrollView):
    """A :class:`ScrollView` drawn line by line whose :meth:`render_line` ends each line with :meth:`with_bar`.

    The content is :meth:`text_width` wide, the bar the two cells right of it (where Textual's would be).
    """

    DEFAULT_CSS = "ScrollColumn { scrollbar-size-vertical: 0; overflow-x: hidden; overflow-y: scroll; }"

    _bar_state: tuple | None = None
    _bar: list[Segment] = []
    frame_width = 0  # as of the frame being drawn: the content's width left of the bar
    frame_top = 0  # and the first line shown

    def text_width(self) -> int:
        """Cells a line of content has, left of the bar."""
        return max(self.scrollable_content_region.width - BAR, 0)

    def _bar_cells(self) -> tuple[tuple, list[Segment]]:
        """The bar as it is now, one segment a line: the state it depends on, and the segments."""
        height, total, top = self.scrollable_content_region.height, self.virtual_size.height, self.scroll_offset.y
        styles = self.styles
        back, thumb = styles.scrollbar_background, styles.scrollbar_color
        if back.a < 1:
            back = self.background_colors[0] + back
        thumb = back + thumb
        state = (height, total, top, back, thumb)
        if state == self._bar_state:
            return state, self._bar
        if total <= height:  # all in view: no thumb, the track alone (as wide as Textual's hidden bar)
            cells = [Segment(" " * BAR, Style(bgcolor=back.rich_color))] * height
        else:
            bar = ScrollBarRender.render_bar(
                size=height, virtual_size=total, window_size=height, position=top, thickness=BAR, back_color=back.rich_color, bar_color=thumb.rich_color
            )
            # Without the mouse actions Textual's own scrollbar widget would take from them.
            cells = [Segment(s.text, s.style.clear_meta_and_links() if s.style else None) for s in bar.segments]
        return state, cells

    def draw_bar(self) -> None:
        """Make the bar for this frame, and note the content's width and the first line shown (once a frame,
        not once a line: each walks Textual's styles): call at the start of render_lines."""
        self._bar_state, self._bar = self._bar_cells()
        self.frame_width, self.frame_top = self.text_width(), self.scroll_offset.y

    def bar_changed(self) -> None:
        """The content's size changed without a redraw of the view: redraw the bar's column if it looks different."""
        if self._bar_state is None:
            return
        state, cells = self._bar_cells()
        if cells != self._bar:
            self.refresh(Region(self.text_width(), 0, BAR, self.scrollable_content_region.height))

    def with_bar(self, strip: Strip, y: int) -> Strip:
        """A line of content (`text_width` cells) with the bar's cell for screen line `y`."""
        if y >= len(self._bar):
            return strip
        return Strip([*strip, self._bar[y]], strip.cell_length + BAR)

    def on_bar(self, event: events.MouseEvent) -> bool:
        """A click on the bar pages up or down, as Textual's bar does above and below its thumb; True if it was."""
        offset = event.get_content_offset(self)
        if offset is None or offset.x < self.text_width():
            return False
        height, total, top = self.scrollable_content_region.height, self.virtual_size.height, self.scroll_offset.y
        if total > height:
            thumb = max(1, ceil(height * height / total))
            start = (height - thumb) * top / (total - height)
            if offset.y < start:
                self.scroll_page_up(animate=False)
            elif offset.y >= start + thumb:
                self.scroll_page_down(animate=False)
        return True
