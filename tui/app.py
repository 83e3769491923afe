"""The gloss reader: a small App that pushes the main screen and runs the loading worker."""

from __future__ import annotations

import gc
import time

from textual import events
from textual.app import App

from linker.model import Article
from tui.commands import GlossCommands
from tui.keys import app_bindings
from tui.screens.fix import NO_ARTICLE
from tui.screens.main import MainScreen
from tui.text import visible, wiki_name

TIDY_AFTER = 1.0  # seconds without a key or a move before the reader tidies its memory
SWEEP_AFTER = 0.005  # seconds after a key's screen is painted before its garbage is collected
# Python collects its young objects by itself (generation 0, a fraction of a millisecond). The older ones
# are left to the reader: generation 1 (1 to 6 ms at 10,000 articles) just after a key's paint, the full
# collection (10 to 80 ms) when it rests. The collector's own trigger for them stays as a backstop, ten
# times further off than Python's default.
COLLECTOR_THRESHOLDS = (700, 100, 100)
SWEEP_OLDER = 10  # collections of generation 0 before the reader collects generation 1 (Python's default)


class GlossApp(App):
    CSS_PATH = "gloss.tcss"
    TITLE = "gloss"
    COMMANDS = App.COMMANDS | {GlossCommands}
    BINDINGS = app_bindings()  # tui/keys.py

    def __init__(self, articles: list[Article], library, paths: list[str] | None = None, stories: list | None = None, more: list | None = None) -> None:
        super().__init__()
        self.articles = articles
        self.more = more  # thousands of files: `articles` holds the first, the main screen's worker reads them all
        self._active = time.monotonic()  # the last key, click or move
        self._tidied: tuple | None = None
        self._sweep_due = False
        self._thresholds: tuple | None = None  # the collector's own, given back when the reader closes
        self.library = library
        self.paths = paths or ["PATH"]
        self.stories = stories or []

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self.busy_now()
        await super().on_event(event)

    def busy_now(self) -> None:
        self._active = time.monotonic()
        if not self._sweep_due:
            self._sweep_due = True
            self.call_after_refresh(self.set_timer, SWEEP_AFTER, self.sweep_memory)

    def sweep_memory(self) -> None:
        """A key's garbage, collected once its screen is painted (the reader reads it; the next key is tens of
        milliseconds away), rather than by a collection that falls inside a key's work and delays its paint."""
        self._sweep_due = False
        if gc.get_count()[1] >= SWEEP_OLDER:
            gc.collect(1)  # the full collection waits for a rest (tidy_memory): at 10,000 articles it can take 80 ms

    def tidy_memory(self) -> None:
        """Python's full garbage collection scans every object not frozen: met during a key, it is a pause of
        tens of milliseconds (the reader keeps a screen's worth of drawn lines and screens). It is run here
        instead, while the reader rests and something was made since, and what is left is frozen, so the
        collections a key meets stay short. (A frozen object that later dies in a reference cycle is not
        freed: a screen left for good, at most, a few a session.)"""
        if time.monotonic() - self._active < TIDY_AFTER or gc.get_count() == self._tidied:
            return
        gc.collect()
        gc.freeze()
        self._tidied = gc.get_count()

    def on_mount(self) -> None:
        self._thresholds = gc.get_threshold()
        gc.set_threshold(*COLLECTOR_THRESHOLDS)
        self.set_interval(TIDY_AFTER, self.tidy_memory)
        if self.stories and not self.articles:
            from tui.screens.stories import StoriesScreen

            self.push_screen(StoriesScreen(self.stories))
        else:
            self.push_screen(MainScreen(self.articles, self.library, more=self.more))

    def on_unmount(self) -> None:
        if self._thresholds:
            gc.set_threshold(*self._thresholds)

    def open_story(self, story) -> None:
        """Read one story: its stored articles in the main screen."""
        from cache.archive import Archive, record_article

        archive = Archive(self.library.store)
        articles = [record_article(r) for r in (archive.get(i.id) for i in story.items) if r is not None]
        if not articles:
            self.notify("the articles of this story are no longer in the cache", severity="warning")
            return
        self.articles = articles
        self.paths = [f"story:{story.id}"]
        self.push_screen(MainScreen(self.articles, self.library))

    def action_stories(self) -> None:
        from tui.screens.stories import StoriesScreen

        if not self.stories:
            self.notify("no stories: gloss was opened on files (add articles with 'gloss add', then run gloss without PATH)")
            return
        while len(self.screen_stack) > 1 and not isinstance(self.screen, StoriesScreen):
            self.pop_screen()
        if not isinstance(self.screen, StoriesScreen):
            self.push_screen(StoriesScreen(self.stories))

    def on_resize(self, event) -> None:
        self.set_class(event.size.width < 100, "-narrow")

    def cached_corpus(self, articles: list[Article] | None = None) -> tuple[list, dict] | None:
        """The linked entities of the articles (the app's, if not given) straight from a warm cache
        (no spaCy, no thread), with each article's mentions in reading order; or None."""
        articles = self.articles if articles is None else articles
        placed: dict = {}
        try:
            if self.library.new_to_library(articles):
                return None  # linked with the stories it would join: the worker does that
            entities = self.library.cached_entities(articles, placed)
        except Exception:  # a damaged entry: the worker redoes it
            return None
        return None if entities is None else (entities, placed)

    def summary_age(self, title: str | None) -> float | None:
        if not title:
            return None
        gw = self.library.gateway
        hit = self.library.store.get("page", gw.key(title))
        return time.time() - hit[1] if hit else None

    def notify(self, message: str, *, title: str = "", severity="information", timeout: float | None = None, markup: bool = False) -> None:
        """Every toast is data shown as text: never markup, never a control character."""
        super().notify(visible(message), title=visible(title), severity=severity, timeout=timeout, markup=False)

    @property
    def wiki_name(self) -> str:
        return wiki_name(self.library.gateway.api_url)

    def fix_link(self, screen: MainScreen, entity, choice: str) -> None:
        title = None if choice == NO_ARTICLE else choice
        self.library.set_override(entity, title)
        self.notify(f"{entity.name} -> {title or 'no article'} (saved)", timeout=4)
        screen.load_entities()

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())
