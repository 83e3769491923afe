"""The main view: sources, the highlighted article, the entity panel, the status line."""

from __future__ import annotations

import gc
from bisect import bisect_left

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from linker.model import FAILED, NIL, NOT_CACHED, Entity, no_collection
from tui.article_view import ArticleView
from tui.keybar import KeyBar
from tui.keys import screen_bindings
from tui.line_list import LazyRows, LineList, Rows
from tui.messages import EntitiesReady, LoadFailed, Progressed
from tui.navigation import Corpus, History, Pos, Spot
from tui.status import StatusLine
from tui.text import safe_url, visible

EXTRACT_CHARS = 525
PANEL_SOURCES = 8
PREPARE_AFTER = 0.005  # seconds after a key's paint before the articles the next keys would open are made ready
SYNC_LOAD_CHARS = 4_000_000  # about 1,000 articles: read before the first paint, larger sets after it


def settle_memory() -> None:
    """The articles and entities now live as long as the reader: keep the garbage
    collector from rescanning them, so no key press waits for a full collection."""
    gc.freeze()


class MainScreen(Screen):
    BINDINGS = screen_bindings()  # tui/keys.py: one table for bindings, palette, help and README
    BLANK = True  # its own lines are only background under its widgets: see tui/screens/kept.py

    def __init__(self, articles, library, more: list | None = None) -> None:
        super().__init__()
        self.articles = articles
        self.more = more  # thousands of files: `articles` is the first, the worker reads them all
        self.library = library
        self.corpus = Corpus(articles, [])
        self.doc = 0
        self.pos: Pos | None = None
        self.selected: str | None = None
        self.history = History()
        self.busy = "opening…"
        self.search_term = ""
        self.search_doc = -1
        self.match_index = 0
        self.pending: str | None = None  # an action asked for before the entities arrived
        self._panel_state: tuple | None = None  # what the panel's head shows
        self._sources_state: tuple | None = None  # what its source rows show
        self._tail: str | None = None  # what the panel's last lines say
        self._index = None
        self._compare = None
        self._preparing = False  # the next articles are to be made ready after this paint

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            yield LineList(rows_per_item=2, id="sources")
            yield ArticleView(id="article")
            with VerticalScroll(id="panel"):
                yield Static(id="panel-body")
                yield Rows(id="panel-sources")
                yield Static(id="panel-tail")
        yield StatusLine(id="status")
        yield KeyBar()

    def on_mount(self) -> None:
        # A warm cache of a few hundred articles paints highlighted at once; a larger one paints the text
        # first and is read behind it (10,000 articles: about a million mentions to make).
        small = not self.more and sum(len(a.text) for a in self.articles) <= SYNC_LOAD_CHARS
        cached = self.app.cached_corpus() if small else None
        if not small:
            self.busy = f"opening {len(self.more or self.articles):,} articles…"
        if cached is not None:
            with no_collection():
                self.corpus = Corpus(self.articles, *cached)
            self.busy = ""
            settle_memory()
        self.fill_sources()
        self.open_doc(0)
        self.query_one(ArticleView).focus()
        if cached is None:
            self.call_after_refresh(self.load_entities)  # after the first paint: the thread would compete for it

    @work(thread=True, exclusive=True, group="load", name="annotate")
    def load_entities(self) -> None:
        """Annotate and link in a thread owned by this screen (a newer load replaces a running one,
        and leaving the screen cancels it); the screen hears back through messages."""
        library = self.app.library
        articles, every, problems = self.articles, None, None  # `every`: all the articles, when read here
        if self.more:
            from linker.articles import read_files

            articles, problems = read_files(self.more)
            every = articles
        cached = self.app.cached_corpus(articles)
        if cached is not None:
            with no_collection():
                corpus = Corpus(articles, *cached)
            self.post_message(EntitiesReady(cached[0], None, corpus, every, problems))
            return
        try:
            outcome = library.entities(
                articles,
                in_library=True,
                progress=lambda stage, done, total: self.post_message(Progressed(stage, done, total)),
            )
            with no_collection():
                corpus = Corpus(articles, outcome.entities)
        except Exception as err:  # the reader stays up; the message says what broke
            self.post_message(LoadFailed(f"{type(err).__name__}: {err}"))
            return
        self.post_message(EntitiesReady(outcome.entities, library.gateway.notice, corpus, every, problems))

    # -- data arriving -------------------------------------------------------------
    def on_entities_ready(self, message: EntitiesReady) -> None:
        # Positions index the old corpus: carry them over by their place in the text, and the
        # selection by the entity now at that place (after a fix its id may have changed).
        if message.articles is not None:  # every file read now (the first was shown meanwhile)
            self.articles = self.app.articles = message.articles
            self.more = self.app.more = None
            if message.problems:
                shown = "; ".join(str(p) for p in message.problems[:3])
                more = f" (and {len(message.problems) - 3} more)" if len(message.problems) > 3 else ""
                self.notify(f"{len(message.problems)} problems reading the files: {shown}{more}", severity="warning", timeout=12)
        old = self.corpus
        spot = old.offset_of(self.pos)
        if message.corpus is not None:
            self.corpus = message.corpus
        else:
            with no_collection():
                self.corpus = Corpus(self.articles, message.entities)
        self.history.carry(old, self.corpus)
        self.pos = self.corpus.carry(spot)
        if self.pos:
            self.selected = self.corpus.mention(self.pos).entity
        elif self.selected not in self.corpus.entities:
            self.selected = None
        settle_memory()
        self.busy = ""
        self.fill_sources()
        self.open_doc(self.doc, keep_scroll=True)
        if message.notice:
            self.notify(message.notice, title="Offline", severity="warning", timeout=8)
        if self.pending:
            action, self.pending = self.pending, None
            self.call_later(self.run_action, action)  # a coroutine: awaited by the message loop

    def on_progressed(self, message: Progressed) -> None:
        self.busy = f"annotating {message.done}/{message.total}…" if message.stage == "annotate" else "linking…"
        self.update_status()

    def on_load_failed(self, message: LoadFailed) -> None:
        self.busy = ""
        self.notify(message.error, title="Could not annotate", severity="error", timeout=15)
        self.update_status()

    # -- drawing -------------------------------------------------------------------
    def fill_sources(self) -> None:
        corpus = self.corpus

        def row(i: int) -> list[Text]:
            a = self.articles[i]
            meta = " · ".join(x for x in (visible(a.outlet), f"{corpus.entity_count(i)} entities" if corpus.entities else "") if x)
            return [Text(f"{i + 1}. {visible(a.title[:80])}", style="bold"), Text("   " + meta, style="dim")]

        self.query_one("#sources", LineList).set_items(LazyRows(len(self.articles), row), self.doc)

    def open_doc(self, doc: int, keep_scroll: bool = False) -> None:
        self.doc = doc
        view = self.query_one(ArticleView)
        spans = [(p.mention.start, p.mention.end, self.corpus.entities[p.entity].label, p.entity) for p in self.corpus.placed[doc]]
        y = view.scroll_offset.y
        view.show(self.articles[doc].text, spans)
        if keep_scroll:
            view.scroll_to(y=y, animate=False)
        if self.pos is not None and self.pos[0] != doc:
            self.pos = None
        self.query_one("#sources", LineList).highlight(doc)
        self.refresh_marks()

    def refresh_marks(self) -> None:
        self.app.busy_now()  # every move ends here: no memory tidying just now
        view = self.query_one(ArticleView)
        current = None
        placed = self.corpus.mention(self.pos) if self.pos else None
        if placed:
            current = (placed.mention.start, placed.mention.end)
            view.reveal(placed.mention.start)
        view.mark(self.selected, current)
        self.update_panel()
        self.update_status()
        if not self._preparing:
            self._preparing = True
            self.call_after_refresh(self.set_timer, PREPARE_AFTER, self.prepare_next)

    def prepare_next(self) -> None:
        """Wrap the articles the next jump either way, or the next source, would open, while the reader reads
        this one: the key that opens one then only draws it."""
        self._preparing = False
        view = self.query_one(ArticleView)
        docs = {(self.doc + 1) % len(self.articles)}
        if self.selected and not self.busy:
            for forward in (True, False):
                pos = self.corpus.jump(self.selected, self.pos or (self.doc, -1 if forward else 10**9), forward)
                if pos:
                    docs.add(pos[0])
        for doc in sorted(docs - {self.doc}):
            view.prepare(self.articles[doc].text)

    def update_status(self) -> None:
        a = self.articles[self.doc]
        short = self.selected or self.busy  # the busy cue must fit in 80 columns
        parts = [f"[{self.doc + 1}/{len(self.articles)}] {visible(a.title[: 24 if short else 60])}"]
        if self.selected and self.pos:
            ent = self.corpus.entities[self.selected]
            parts.append(f"{visible(ent.name[:24])} {self.corpus.where(self.selected, self.pos)}")
        if self.busy:
            parts.append(self.busy)
        self.query_one(StatusLine).show(" │ ".join(parts))

    def update_panel(self) -> None:
        """The panel: the entity's head (name, page, summary), drawn again only when the entity changes, and its
        source rows, where the ▸ follows the source on screen. Stepping through one entity's mentions redraws
        those few rows only, without laying the screen out again while their number stays."""
        ent = self.corpus.entities.get(self.selected) if self.selected else None
        state = (id(self.corpus), self.selected, bool(self.busy))
        head_changed = state != self._panel_state
        if head_changed:
            self._panel_state = state
            body = self.query_one("#panel-body", Static)
            if ent is None:
                hint = "Press ] to step to the first entity, x for the index of all entities, ? for help."
                body.update(Text("opening the articles…\n\n" + hint if self.busy else hint, style="dim"))
            else:
                body.update(self.panel_text(ent))
        sources_state = (*state, self.doc)
        if sources_state == self._sources_state:
            return
        self._sources_state = sources_state
        rows, tail = self.panel_sources(ent) if ent else ([], Text())
        self.query_one("#panel-sources", Rows).set_lines(rows)
        if tail.plain != self._tail:
            self._tail = tail.plain
            self.query_one("#panel-tail", Static).update(tail)

    def panel_text(self, ent: Entity) -> Text:
        """The panel's head: what the entity is, its page's summary, and how often the sources name it."""
        t = Text()
        t.append(visible(ent.name) + "\n", style="bold")
        t.append(f"{ent.label}", style="dim")
        if ent.title:
            t.append(f" · {self.app.wiki_name}: ")
            t.append(visible(ent.title), style="bold")
        t.append("\n")
        s = ent.summary
        if ent.status == NIL:
            t.append(f"\nNo article on {self.app.wiki_name} for this name.\n", style="italic")
        elif ent.status == NOT_CACHED:
            t.append("\nNot cached yet. To fetch it, run:\n  " + visible(self.app.library.warm_command(self.app.paths)) + "\n", style="italic")
        elif ent.status == FAILED:
            t.append("\nThe wiki did not answer; run again:\n  " + visible(self.app.library.warm_command(self.app.paths)) + "\n", style="italic")
        elif s:
            if s.description:
                t.append(visible(s.description) + "\n", style="italic")
            extract = s.extract if len(s.extract) <= EXTRACT_CHARS else s.extract[:EXTRACT_CHARS].rsplit(" ", 1)[0] + "…"
            t.append("\n" + visible(extract) + "\n")
            if s.url:
                t.append("\n")
                t.append(visible(s.url), style=f"underline link {s.url}" if safe_url(s.url) else "underline")
                t.append("\n")
            age = self.app.summary_age(ent.title)
            if age is not None and age > 86400:
                t.append(f"cached {age / 86400:.0f} days ago\n", style="dim")
        t.append(f"\nconfidence {ent.confidence:.2f}" + (" (set by you)" if ent.overridden else "") + "\n", style="dim")
        sources = self.corpus.per_source(ent.id)
        t.append(f"{len(ent.mentions)} mention{'s' if len(ent.mentions) != 1 else ''} in {len(sources)} source{'s' if len(sources) != 1 else ''}", style="bold")
        return t

    def panel_sources(self, ent: Entity) -> tuple[list[Text], Text]:
        """The panel's source rows (the first few sources naming the entity, and the one on screen, marked ▸;
        one line each, cut with an ellipsis), and the lines below them."""
        sources = self.corpus.per_source(ent.id)
        shown = [x for x in sources[:PANEL_SOURCES]]
        if self.doc not in {d for d, _ in shown}:
            here = bisect_left(sources, (self.doc,))  # sorted by source: thousands of them at 10,000 articles
            shown += sources[here : here + 1] if here < len(sources) and sources[here][0] == self.doc else []
        rows = [Text(f"{'▸ ' if d == self.doc else '  '}{n:>3} in {d + 1}. {visible(self.articles[d].title)}") for d, n in shown]
        t = Text()
        if len(sources) > len(shown):
            t.append(f"  … and {len(sources) - len(shown)} more sources (c compares them)\n", style="dim")
        t.append("\ne fix link · o URL · n/N next/prev", style="dim")
        return rows, t

    # -- moving --------------------------------------------------------------------
    def go(self, pos: Pos | None, remember: bool = False) -> None:
        if pos is None:
            return
        if remember:
            self.remember()
        placed = self.corpus.mention(pos)
        self.pos = pos
        if placed:
            self.selected = placed.entity
        if pos[0] != self.doc:
            self.open_doc(pos[0])
        else:
            self.refresh_marks()

    def action_scroll(self, n: int) -> None:
        self.query_one(ArticleView).scroll_relative(y=n, animate=False)

    def action_page(self, n: int) -> None:
        view = self.query_one(ArticleView)
        view.scroll_relative(y=n * max(1, view.scrollable_content_region.height - 1), animate=False)

    def action_edge(self, end: int) -> None:
        view = self.query_one(ArticleView)
        view.scroll_to(y=view.max_scroll_y if end else 0, animate=False)

    def action_source(self, step: int) -> None:
        self.remember()
        self.pos = None
        self.open_doc((self.doc + step) % len(self.articles))

    def on_line_list_selected(self, event: LineList.Selected) -> None:
        if event.line_list.id == "sources" and event.index != self.doc:
            self.remember()
            self.pos = None
            self.open_doc(event.index)
            self.query_one(ArticleView).focus()

    def on_article_view_clicked(self, message: ArticleView.Clicked) -> None:
        """A click on a mention selects it, like ] does."""
        pos = self.corpus.at_offset(self.doc, message.offset)
        placed = self.corpus.mention(pos) if pos else None
        if placed and placed.mention.start <= message.offset < placed.mention.end:
            self.go(pos)

    def action_mention(self, step: int) -> None:
        if self.wait_for_entities(f"mention({step})"):
            return
        self.go(self.corpus.step(self.pos, self.doc, step > 0))

    def action_jump(self, step: int) -> None:
        if self.wait_for_entities(f"jump({step})"):
            return
        if not self.selected:
            self.action_mention(step)
            return
        self.go(self.corpus.jump(self.selected, self.pos or (self.doc, -1 if step > 0 else 10**9), step > 0), remember=True)

    def remember(self) -> None:
        """The one way into the history: where the reader is now."""
        self.history.push(Spot(self.doc, self.pos, self.selected))

    def action_back(self) -> None:
        spot = self.history.pop()
        if spot is None:
            self.notify("Nothing to go back to", timeout=2)
            return
        doc, self.selected, self.pos = spot.doc, spot.selected, spot.pos
        if doc != self.doc:
            self.open_doc(doc)
        else:
            self.refresh_marks()

    def select_entity(self, entity_id: str) -> None:
        """Select an entity and jump to its first mention (from the index)."""
        self.selected = entity_id
        self.go(self.corpus.jump(entity_id, None, True), remember=True)

    def wait_for_entities(self, action: str) -> bool:
        """While annotation runs, remember the action and do it when the entities arrive."""
        if self.busy and not self.corpus.entities:
            self.pending = action
            self.notify(f"Still {self.busy.rstrip('…')}: this happens when the entities are ready", timeout=3)
            return True
        return False

    def action_index(self) -> None:
        from tui.screens.index import IndexScreen

        if self.wait_for_entities("index"):
            return
        self.app.busy_now()
        # One index per set of entities, kept between visits: reopening it is only a repaint.
        if self._index is None or self._index.corpus is not self.corpus:
            if self._index is not None:
                self.app.uninstall_screen(self._index)
            self._index = IndexScreen(self.corpus)
            self.app.install_screen(self._index, f"index-{id(self.corpus)}")
        self.app.push_screen(f"index-{id(self.corpus)}", lambda eid: eid and self.select_entity(eid))

    def action_compare(self) -> None:
        from tui.screens.compare import CompareScreen

        if not self.selected:
            self.notify("Select an entity first (] steps to one, x lists them all)", timeout=3)
            return
        self.app.busy_now()
        # One compare screen per set of entities, kept between visits, as the index is.
        if self._compare is None or self._compare.corpus is not self.corpus:
            if self._compare is not None:
                self.app.uninstall_screen(self._compare)
            self._compare = CompareScreen(self.corpus, self.selected)
            self.app.install_screen(self._compare, f"compare-{id(self.corpus)}")
        self._compare.entity = self.selected
        self.app.push_screen(f"compare-{id(self.corpus)}", lambda pos: pos and self.go(pos, remember=True))

    def action_search(self) -> None:
        from tui.screens.search import SearchScreen

        self.app.push_screen(SearchScreen(self.search_term), self.run_search)

    def run_search(self, term: str | None) -> None:
        """Find `term` in this source; the same term again steps to the next match (wrapping)."""
        if not term:
            return
        view = self.query_one(ArticleView)
        again = term == self.search_term and self.search_doc == self.doc and view.matches
        self.search_term, self.search_doc = term, self.doc
        if not again:
            found = []
            low, needle = self.articles[self.doc].text.lower(), term.lower()
            i = low.find(needle)
            while i >= 0 and len(found) < 10000:
                found.append((i, i + len(needle)))
                i = low.find(needle, i + 1)
            view.matches = found
            if not found:
                self.notify(f"Not found in this source: {term[:40]}", timeout=3)
                view.mark(self.selected, view.current)
                return
            after = self.corpus.mention(self.pos).mention.start if self.pos and self.corpus.mention(self.pos) else -1
            self.match_index = next((n for n, (s, _) in enumerate(found) if s > after), 0)
            self.remember()
        else:
            self.match_index = (self.match_index + 1) % len(view.matches)
        target = view.matches[self.match_index][0]
        view.current_match = self.match_index
        at = self.corpus.at_offset(self.doc, target)
        if at and self.corpus.mention(at).mention.start <= target:
            self.go(at)
        else:
            view.reveal(target)
        self.notify(f"match {self.match_index + 1}/{len(view.matches)}  (/ Enter: next)", timeout=3)
        view.mark(self.selected, view.current)

    def action_fix(self) -> None:
        from tui.screens.fix import FixScreen

        ent = self.corpus.entities.get(self.selected) if self.selected else None
        if ent is None:
            self.notify("Select an entity first", timeout=2)
            return
        self.app.push_screen(FixScreen(ent), lambda choice: choice is not None and self.app.fix_link(self, ent, choice))

    def current_url(self) -> str:
        ent = self.corpus.entities.get(self.selected) if self.selected else None
        return ent.summary.url if ent and ent.summary else ""

    def action_url(self) -> None:
        url = self.current_url()
        self.notify(visible(url) if url else "No URL for this entity", title="URL", timeout=10)

    def action_copy_url(self) -> None:
        url = self.current_url()
        if url and not safe_url(url):
            self.notify("This URL holds characters a terminal would obey; not copied", timeout=4)
        elif url:
            self.app.copy_to_clipboard(url)
            self.notify("URL copied (OSC 52)", timeout=3)

    def action_toggle_panel(self) -> None:
        self.query_one("#panel").toggle_class("hidden")

    def action_toggle_sources(self) -> None:
        self.query_one("#sources").toggle_class("shown")
