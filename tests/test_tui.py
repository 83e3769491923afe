"""The reader, driven with keys through Textual's Pilot."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from cache.library import Library
from cache.store import Store
from linker.articles import load_articles
from tests.conftest import ROOT, SAMPLES
from tui.app import GlossApp
from tui.article_view import ArticleView
from tui.screens.main import MainScreen
from tui.text import visible


WARMED_WITH: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _wiki_of_the_warmed_cache(wiki):
    """The warmed cache holds the session wiki's pages: the reader must name that wiki."""
    WARMED_WITH["url"] = wiki.url


def make_app(cache, url=None, paths=(SAMPLES,), offline=True) -> GlossApp:
    articles, _ = load_articles(list(paths))
    lib = Library(Store(cache), api_url=url or WARMED_WITH["url"], offline=offline)
    return GlossApp(articles, lib, [str(p) for p in paths])


async def ready(app, pilot) -> MainScreen:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    return app.screen


def status(screen: MainScreen) -> str:
    return str(screen.query_one("#status").render())


def panel(screen: MainScreen) -> str:
    """The side panel's text: the entity's head, then its source rows."""
    return "\n".join(str(screen.query_one(part).render()) for part in ("#panel-body", "#panel-sources", "#panel-tail"))


async def panel_of(app, pilot, name: str) -> str:
    """The panel's text (whitespace folded) once the entities are in and the entity of this name is selected."""
    screen = await ready(app, pilot)
    ent = next(e for e in screen.corpus.entities.values() if e.name == name)
    screen.select_entity(ent.id)
    await pilot.pause()
    return " ".join(panel(screen).split())


def select(screen: MainScreen, title: str) -> None:
    ent = next(e for e in screen.corpus.entities.values() if e.title == title)
    screen.select_entity(ent.id)


async def test_walk_all_mentions_of_one_entity_across_sources(warmed):
    app = make_app(warmed)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(app, pilot)
        app.screen.query_one(ArticleView).focus()
        await pilot.press("x")
        await pilot.press(*"wang yi")
        await pilot.press("enter")
        await pilot.pause()
        ent = screen.corpus.entities[screen.selected]
        assert ent.title == "Wang Yi"
        assert "Chinese diplomat" in panel(screen) and "10 mentions in 4 sources" in panel(screen)
        seen_docs, positions = set(), []
        for _ in range(len(ent.mentions)):
            positions.append(screen.pos)
            seen_docs.add(screen.doc)
            placed = screen.corpus.mention(screen.pos)
            assert placed.entity == ent.id
            assert screen.corpus.articles[screen.doc].text[placed.mention.start : placed.mention.end] in ("Wang Yi", "Wang")
            await pilot.press("n")
        assert len(seen_docs) == 4 and len(set(positions)) == len(ent.mentions)
        assert screen.pos == positions[0]  # wrapped around
        assert f"1/{len(ent.mentions)} · source 1 of 4" in status(screen)
        await pilot.press("N")
        assert screen.pos == positions[-1] and f"{len(ent.mentions)}/{len(ent.mentions)}" in status(screen)
        await pilot.press("u")
        assert screen.pos == positions[0]


async def test_mentions_in_article_sources_and_scrolling(warmed):
    app = make_app(warmed)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(app, pilot)
        await pilot.press("right_square_bracket")
        first = screen.pos
        assert first == (0, 0) and screen.selected
        await pilot.press("right_square_bracket", "right_square_bracket", "left_square_bracket")
        assert screen.pos == (0, 1)
        await pilot.press("J")
        assert screen.doc == 1 and "[2/5]" in status(screen)
        await pilot.press("K", "K")
        assert screen.doc == 4
        view = screen.query_one(ArticleView)
        await pilot.press("G")
        assert view.scroll_offset.y == view.max_scroll_y > 0
        await pilot.press("g")
        assert view.scroll_offset.y == 0
        await pilot.press("j", "j", "space")
        assert view.scroll_offset.y > 2
        await pilot.press("b")
        assert view.scroll_offset.y < 5


async def test_compare_view_lists_sentences_by_source_and_jumps(warmed):
    app = make_app(warmed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(app, pilot)
        select(screen, "Qin Gang")
        await pilot.press("c")
        await pilot.pause()
        from tui.wrapped_list import WrappedList

        options = app.screen.query_one(WrappedList)
        headers = [e.text for e in options.entries if e.key is None]
        sentences = [e for e in options.entries if e.key is not None]
        assert len(headers) == 3 and all("Qin" in e.text[slice(*e.mark)] for e in sentences)
        await pilot.press("down", "down")
        left_at = options.highlighted
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert screen.corpus.entities[screen.selected].title == "Qin Gang"
        await pilot.press("c")  # the same entity again: the list as it was left
        await pilot.pause()
        assert app.screen.query_one(WrappedList) is options and options.highlighted == left_at
        await pilot.press("escape")
        await pilot.pause()
        select(screen, "Antony Blinken")  # the compare screen is kept: shown again, it lists the new entity
        await pilot.press("c")
        await pilot.pause()
        options = app.screen.query_one(WrappedList)
        sentences = [e for e in options.entries if e.key is not None]
        assert sentences and all("Blinken" in e.text[slice(*e.mark)] for e in sentences)
        assert "Blinken" in str(app.screen.query_one("#compare-title").render())


async def test_compare_view_steps_over_source_heads_and_keeps_the_sentence_in_view(warmed):
    """Down and up go from sentence to sentence (a source's head is passed over), the whole highlighted
    sentence stays on screen, with its source's head when it is the source's first; a narrower or wider
    terminal wraps the sentences again and keeps the highlight in view."""
    from tui.wrapped_list import WrappedList

    app = make_app(warmed)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(app, pilot)
        ent = max(screen.corpus.entities.values(), key=lambda e: len(e.mentions))
        screen.select_entity(ent.id)
        await pilot.press("c")
        await pilot.pause()
        view = app.screen.query_one(WrappedList)
        while app.screen._coming is not None:
            await pilot.pause(0.01)
        sentences = [i for i, e in enumerate(view.entries) if e.key is not None]
        assert len(sentences) > 10 and view.highlighted == sentences[0]

        def in_view(index: int) -> bool:
            top, height = view.scroll_offset.y, view.scrollable_content_region.height
            a, b = view._span(index)
            if view.entries[index - 1].key is None:
                a = view.first[index - 1]
            return top <= a and b <= top + height

        for expected in sentences[1:]:
            await pilot.press("down")
            assert view.highlighted == expected and in_view(expected)
        await pilot.press("down")  # the last stays the last
        assert view.highlighted == sentences[-1]
        for expected in reversed(sentences[:-1]):
            await pilot.press("up")
            assert view.highlighted == expected and in_view(expected)
        await pilot.press("pagedown")
        assert view.highlighted in sentences and view.highlighted > sentences[1] and in_view(view.highlighted)
        rows = len(view.rows)
        await pilot.resize_terminal(120, 30)
        await pilot.pause()
        assert len(view.rows) < rows and in_view(view.highlighted)
        assert all(len(view.entries[i].text[s:e].rstrip()) <= view.scrollable_content_region.width - 2 for i, s, e in view.rows)


async def test_compare_view_shows_its_first_sentences_at_once_and_lists_the_rest_behind(warmed, monkeypatch):
    """An entity of thousands of sources has tens of thousands of sentences: the compare view makes the first
    few (forced here to 3) before its first paint, says how far the listing is, and lists the rest a few
    milliseconds at a time, ending with the list made in one go; a sentence listed late jumps as any."""
    import tui.screens.compare as compare
    from tui.wrapped_list import WrappedList

    monkeypatch.setattr(compare, "FIRST_OPTIONS", 3)
    monkeypatch.setattr(compare, "FILL_SECONDS", 0.0)
    monkeypatch.setattr(compare, "FILL_STEP", 1)  # one option a turn
    app = make_app(warmed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(app, pilot)
        ent = max(screen.corpus.entities.values(), key=lambda e: len(e.mentions))
        screen.select_entity(ent.id)
        screen.action_compare()
        while not isinstance(app.screen, compare.CompareScreen) or app.screen.listed != ent.id:
            await asyncio.sleep(0)
        view = app.screen
        options = view.query_one(WrappedList)
        assert len(options.entries) <= 3 and "listing" in str(view.query_one("#compare-title").render())
        while view._coming is not None:
            await pilot.pause(0.01)
        whole = list(compare.CompareScreen(screen.corpus, ent.id).options())
        assert options.entries == whole
        assert len(whole) > 20 and "listing" not in str(view.query_one("#compare-title").render())
        await pilot.press("end", "enter")  # the last sentence, listed last
        await pilot.pause()
        assert isinstance(app.screen, MainScreen) and screen.pos == view.targets[whole[-1].key]


async def test_a_highlight_moving_down_a_long_list_scrolls_it_once_a_screen(warmed):
    """Stepping down the index one entity at a time keeps the highlight in view, and when it leaves the view
    the list scrolls so one entity is above it: the list is scrolled (and drawn again whole) once a screen."""
    from tui.line_list import LineList

    app = make_app(warmed)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("x")
        await pilot.pause()
        entities = app.screen.query_one(LineList)
        height = entities.scrollable_content_region.height
        scrolls = 0
        for _ in range(len(entities.items) - 1):
            top = entities.scroll_offset.y
            await pilot.press("down")
            y = entities.highlighted - entities.scroll_offset.y
            assert 0 <= y < height  # in view
            if entities.scroll_offset.y != top:
                scrolls += 1
                assert y == 1  # one entity above it
        assert len(entities.items) > 2 * height and scrolls <= len(entities.items) // (height - 2) + 1


def thumb_rows(view) -> list[int]:
    """The screen rows where a scroll view's drawn bar shows its thumb (reversed cells, or a partial block)."""
    lines = view.render_lines(view.size.region)
    x = view.styles.padding.left + view.text_width()
    rows = []
    for y, strip in enumerate(lines):
        cells = list(strip.crop(x, x + 2))
        if any(seg.style and seg.style.reverse or seg.text.strip() for seg in cells):
            rows.append(y)
    return rows


async def test_the_scrollbars_follow_the_view_a_click_on_one_pages_and_a_growing_list_redraws_its_own(warmed, monkeypatch):
    """The article's scrollbar (drawn as the right edge of its lines) has its thumb at the top, then at the
    bottom at the end; a click on the bar below the thumb pages down. The compare list's bar is drawn again
    as the sentences listed behind the first screen make it longer, without anything else moving."""
    import tui.screens.compare as compare
    from tui.wrapped_list import WrappedList

    app = make_app(warmed)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(app, pilot)
        view = screen.query_one(ArticleView)
        height = view.scrollable_content_region.height
        assert view.max_scroll_y > height  # an article longer than two screens
        assert view.allow_vertical_scroll  # what Textual asks before the wheel scrolls a view
        top = thumb_rows(view)
        assert top[0] == 0 and len(top) < height
        await pilot.press("G")
        bottom = thumb_rows(view)
        assert bottom[-1] == height - 1 and bottom[0] > top[-1]
        await pilot.press("g")
        assert view.scroll_offset.y == 0
        x = view.styles.padding.left + view.text_width()
        await pilot.click(ArticleView, offset=(x, height - 1))
        assert view.scroll_offset.y == height
        assert thumb_rows(view)[0] > 0
        await pilot.click(ArticleView, offset=(x, 0))  # above the thumb: back a page
        assert view.scroll_offset.y == 0

    monkeypatch.setattr(compare, "FIRST_OPTIONS", 3)
    monkeypatch.setattr(compare, "FILL_SECONDS", 0.0)
    monkeypatch.setattr(compare, "FILL_STEP", 1)
    app = make_app(warmed)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(app, pilot)
        ent = max(screen.corpus.entities.values(), key=lambda e: len(e.mentions))
        screen.select_entity(ent.id)
        drawn = []  # the list's length each time its bar is drawn
        draw_bar = WrappedList.draw_bar
        monkeypatch.setattr(WrappedList, "draw_bar", lambda self: (drawn.append(len(self.rows)), draw_bar(self)))
        await pilot.press("c")
        view = app.screen
        while view._coming is not None:
            await pilot.pause(0.01)
        await pilot.pause()
        options = view.query_one(WrappedList)
        assert options.scroll_offset.y == 0 and len(options.rows) > 2 * options.scrollable_content_region.height
        grew = [b for a, b in zip(drawn, drawn[1:]) if b > a]  # drawn again longer: the thumb shrank
        assert len(grew) >= 4 and drawn[-1] == len(options.rows)


async def test_the_key_bar_shows_each_screens_keys_and_a_click_is_the_key(warmed):
    """The bottom line lists the keys of the screen shown (the palette's key at the right end), is drawn
    again when they change, cuts what does not fit with an ellipsis, and a click on a key presses it."""
    from tui.keybar import KeyBar
    from tui.screens.index import IndexScreen

    def bar(app) -> str:
        return app.screen.query_one(KeyBar).render_line(0).text

    app = make_app(warmed)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        main = bar(app)
        assert main.startswith(" J Next source  ] Next mention ") and main.rstrip().endswith("…▏^p palette")
        assert len(main) == 80
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, IndexScreen) and bar(app).startswith(" esc Close ")
        await pilot.press("escape")
        await pilot.pause()
        assert bar(app) == main
        start = main.index(" x Index")
        await pilot.click(KeyBar, offset=(start + 2, 0))
        await pilot.pause()
        assert isinstance(app.screen, IndexScreen)
        await pilot.click(KeyBar, offset=(2, 0))  # esc
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
    async with make_app(warmed).run_test(size=(160, 24)) as pilot:
        await ready(pilot.app, pilot)
        wide = bar(pilot.app)
        assert "…" not in wide and " q Quit " in wide and wide.rstrip().endswith("▏^p palette")


async def test_the_index_shown_again_takes_a_theme_chosen_meanwhile(warmed):
    """The index is kept between showings and not restyled when nothing changed; a theme chosen while it
    was hidden is on it when it comes back."""
    from tui.keybar import KeyBar

    app = make_app(warmed)
    async with app.run_test(size=(80, 24)) as pilot:
        main = await ready(app, pilot)
        await pilot.press("x")
        await pilot.pause()
        index = app.screen
        dark = index.query_one(KeyBar).rich_style
        await pilot.press("escape")
        await pilot.pause()
        app.theme = "textual-light"
        await pilot.pause()
        light = main.query_one(KeyBar).rich_style
        assert light != dark
        await pilot.press("x")
        await pilot.pause()
        assert app.screen is index and index.query_one(KeyBar).rich_style == light
        assert index.query_one(KeyBar).render_line(0).text.startswith(" esc Close ")


async def test_index_filters_and_search_finds_text(warmed):
    app = make_app(warmed)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(app, pilot)
        await pilot.press("x", *"glaser", "enter")
        await pilot.pause()
        ent = screen.corpus.entities[screen.selected]
        assert ent.name == "Bonnie Glaser" and "No article on 127.0.0.1 for this name" in panel(screen)
        await pilot.press("slash", *"balloon", "enter")
        await pilot.pause()
        view = screen.query_one(ArticleView)
        assert view.matches and all(view.text[s:e].lower() == "balloon" for s, e in view.matches)


async def test_search_steps_through_its_matches(warmed):
    """/ then Enter on the same term again goes to the next match, wrapping, and says which."""
    app = make_app(warmed)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(app, pilot)
        text = screen.articles[screen.doc].text.lower()
        word = next(w for w in ("relations", "china", "the") if text.count(w) >= 3)
        total = text.count(word)
        seen = []
        for _ in range(total + 1):
            await pilot.press("slash")
            await pilot.pause()
            await pilot.press("ctrl+u", *word, "enter")  # the box offers the last term; typed anew all the same
            await pilot.pause()
            view = screen.query_one(ArticleView)
            seen.append(view.current_match)
            assert view.text[slice(*view.matches[view.current_match])].lower() == word
            assert list(app._notifications)[-1].message == f"match {view.current_match + 1}/{total}  (/ Enter: next)"
        assert seen[:total] == [(seen[0] + n) % total for n in range(total)]  # every match once, in order
        assert seen[total] == seen[0]  # wrapped
        assert len(screen.history) == 1  # one search, one place to go back to


async def test_search_terms_and_toasts_are_text_not_markup(warmed):
    app = make_app(warmed)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("slash", *"[/]", "enter")
        await pilot.pause()
        await pilot.press("slash", "ctrl+u", *"[bold]x", "enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        app.notify("\x1b]0;pwned\x07 [red]x[/red]")
        await pilot.pause()
        shown = [str(n.message) for n in app._notifications]
        assert any("[bold]x" in m for m in shown) and not any("\x1b" in m or "\x07" in m for m in shown)


async def test_fix_a_link_survives_restart(warm_copy):
    app = make_app(warm_copy)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(app, pilot)
        select(screen, "Washington, D.C.")
        await pilot.pause()
        where = screen.corpus.offset_of(screen.pos)
        assert where is not None
        await pilot.press("e")
        await pilot.pause()
        from textual.widgets import OptionList

        options = app.screen.query_one(OptionList)
        target = next(i for i in range(options.option_count) if options.get_option_at_index(i).id == "Washington (state)")
        options.highlighted = target
        await pilot.press("enter")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        titles = {e.title for e in screen.corpus.entities.values()}
        assert "Washington (state)" in titles and "Washington, D.C." not in titles
        # The selection stays on the same mention, now the fixed entity (ids and positions re-resolved).
        assert screen.corpus.offset_of(screen.pos) == where
        assert screen.corpus.entities[screen.selected].title == "Washington (state)"
        assert "Washington (state)" in panel(screen)
    app2 = make_app(warm_copy)
    async with app2.run_test(size=(100, 30)) as pilot:
        screen = await ready(app2, pilot)
        ent = next(e for e in screen.corpus.entities.values() if e.name == "Washington")
        assert ent.title == "Washington (state)" and ent.overridden


async def test_help_palette_panel_url_and_quit(warmed, wiki):
    app = make_app(warmed)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        await pilot.press("p")
        assert screen.query_one("#panel").has_class("hidden")
        await pilot.press("p", "right_square_bracket", "o")
        await pilot.pause()
        assert any(wiki.pages_at in str(n.message) for n in app._notifications)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"entity index", "enter")
        await pilot.pause()
        await pilot.pause()
        assert type(app.screen).__name__ == "IndexScreen"
        await pilot.press("escape", "q")
        await pilot.pause()
    assert app.return_code == 0


async def test_cold_articles_open_at_once_then_gain_highlights(fresh_wiki, tmp_path):
    w = fresh_wiki()
    app = make_app(tmp_path / "cold", url=w.url, paths=[SAMPLES / "000_8e48cc3b7f7952b2.txt"], offline=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.query_one(ArticleView).text.startswith("There is no expectation")
        # The load belongs to the screen that shows its result (leaving the screen cancels it).
        assert [w.node for w in app.workers if w.name == "annotate"] == [screen]
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.corpus.entities and screen.query_one(ArticleView).spans
        assert not screen.busy


async def test_text_is_data_not_markup_or_escapes(tmp_path, fresh_wiki):
    doc = tmp_path / "hostile.txt"
    doc.write_text(
        "[bold]Not bold[/bold] and [link=http://x]no link[/link] \x1b[31mred?\x1b[0m \x07 Angela Merkel met Emmanuel Macron in Paris.\n", encoding="utf-8"
    )
    w = fresh_wiki()
    app = make_app(tmp_path / "c", url=w.url, paths=[doc], offline=False)
    async with app.run_test(size=(100, 24)) as pilot:
        screen = await ready(app, pilot)
        view = screen.query_one(ArticleView)
        line = "".join("".join(seg.text for seg in view.render_line(y)).strip() for y in range(len(view.lines)))
        assert "[bold]Not bold[/bold]" in line and "[link=http://x]" in line
        assert "\x1b" not in line and "␛[31m" in line and "\x07" not in line


def test_warm_start_never_imports_spacy(wiki, warmed):
    code = f"""
import sys, asyncio
sys.path.insert(0, {str(ROOT)!r})
from tests.test_tui import make_app
from pathlib import Path
app = make_app(Path({str(warmed)!r}), url={wiki.url!r})
async def main():
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.corpus.entities
asyncio.run(main())
print("spacy" in sys.modules, "thinc" in sys.modules)
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False False"


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pytest.mark.parametrize("view", ["main", "index", "compare"])
def test_snapshots(snap_compare, warmed, size, view):
    keys = {"main": ["x", *"wang yi", "enter"], "index": ["x"], "compare": ["x", *"qin", "enter", "c"]}[view]

    async def settle(pilot):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(make_app(warmed), terminal_size=size, press=keys, run_before=settle)


async def test_no_color_keeps_a_non_colour_cue(warmed, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(warmed)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(app, pilot)
        assert app.no_color
        await pilot.press("right_square_bracket")
        view = screen.query_one(ArticleView)
        placed = screen.corpus.mention(screen.pos)
        y = view.line_of(placed.mention.start) - view.scroll_offset.y
        cued = [seg for seg in view.render_line(y) if seg.style and (seg.style.underline or seg.style.bold or seg.style.reverse)]
        assert any(placed.mention.text.split()[0] in seg.text for seg in cued)


async def test_sources_list_and_copy_url(warmed, wiki):
    app = make_app(warmed)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(app, pilot)
        sources = screen.query_one("#sources")
        assert not sources.display or sources.region.width == 0
        await pilot.press("s")
        await pilot.pause()
        assert sources.region.width > 0
        await pilot.press("right_square_bracket", "y")
        await pilot.pause()
        assert app.clipboard.startswith(wiki.pages_at)


async def test_clicking_a_mention_selects_it(warmed):
    app = make_app(warmed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(app, pilot)
        view = screen.query_one(ArticleView)
        text = view.text
        start = text.index("Xi Jinping")
        line = view.line_of(start)
        column = sum(1 for _ in text[view.lines[line][0] : start]) + 1 + view.styles.padding.left
        await pilot.click(ArticleView, offset=(column, line - view.scroll_offset.y))
        await pilot.pause()
        assert screen.corpus.entities[screen.selected].title == "Xi Jinping"
        assert "Xi Jinping" in panel(screen)


async def test_not_cached_hint_names_the_wiki_and_the_cache(tmp_path, wiki):
    """Offline with an empty cache: the panel's command fills *this* cache from *this* wiki."""
    one = SAMPLES / "003_2a14725d733e4992.txt"
    app = make_app(tmp_path / "cold", url=wiki.url, paths=(one,), offline=True)
    async with app.run_test(size=(100, 30)) as pilot:
        text = await panel_of(app, pilot, "Wang Yi")
        assert "Not cached yet" in text
        assert f"gloss warm {one} --wiki-api {wiki.url} --cache-dir {tmp_path / 'cold'}" in text


async def test_a_url_with_escapes_from_a_wiki_is_shown_not_obeyed(warmed):
    """A page URL carrying OSC 52 (clipboard) and a BEL, as a hostile wiki or bundle could send:
    the panel shows it as visible symbols, makes no link of it, and y refuses to copy it."""
    from dataclasses import replace

    app = make_app(warmed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(app, pilot)
        ent = next(e for e in screen.corpus.entities.values() if e.summary)
        evil = replace(ent.summary, url="https://x.test/\x1b]52;c;cHduZWQ=\x07")
        shown = screen.panel_text(replace(ent, summary=evil))
        assert "\x1b" not in shown.plain and "\x07" not in shown.plain and "␛]52" in shown.plain
        assert not any("link" in str(span.style) for span in shown.spans)
        copied = []
        app.copy_to_clipboard = copied.append
        screen.current_url = lambda: evil.url
        await pilot.press("y")
        await pilot.pause()
        assert copied == []


async def test_a_page_the_wiki_fails_on_says_so_in_the_panel(tmp_path, fresh_wiki):
    """Online, every request about one page answers 500: its panel says the wiki did not answer, never "no article"."""
    w = fresh_wiki(fail_matching="Diaoyutai")
    one = next(p for p in sorted(SAMPLES.glob("*.txt")) if "Diaoyutai" in p.read_text(encoding="utf-8"))
    app = make_app(tmp_path / "cold", url=w.url, paths=(one,), offline=False)
    async with app.run_test(size=(100, 30)) as pilot:
        text = await panel_of(app, pilot, "Diaoyutai State Guesthouse")
        assert "The wiki did not answer" in text and "No article" not in text
        assert f"gloss warm {one} --wiki-api {w.url}" in text


async def test_the_reader_tidies_its_memory_while_resting_not_while_keys_come(warmed, monkeypatch):
    """Python's full collection scans every object not frozen; the reader runs it while resting and freezes
    what is left, so the collection a key may meet scans only what was made since, not the whole reader."""
    import gc
    import time

    import tui.app as app_module

    monkeypatch.setattr(app_module, "TIDY_AFTER", 1.0)
    app = make_app(warmed)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(app, pilot)
        while screen.busy or not screen.corpus.entities:  # loaded (it freezes what it loaded: not the tidying)
            await pilot.pause(0.05)
        for _ in range(3):  # a key marks the reader busy, and a busy reader is not tidied
            before, frozen = app._active, gc.get_freeze_count()
            await pilot.press("]")
            app.tidy_memory()
            assert app._active > before and gc.get_freeze_count() <= frozen  # nothing newly frozen
        app._active = time.monotonic() - 2.0  # resting now: the reader's own timer tidies
        await pilot.pause(2.5)
        assert gc.get_freeze_count() > frozen
        assert len(gc.get_objects()) < gc.get_freeze_count() / 10  # a full collection now scans a tenth at most
    gc.unfreeze()


async def test_a_keys_older_garbage_is_collected_after_its_paint_not_during_it(warmed):
    """Within a key's work and its paint, Python collects only its youngest objects (a fraction of a
    millisecond); the older generations (milliseconds, tens at 10,000 articles) are collected by the reader
    once the key's screen is painted. Over 150 keys, with Python's own thresholds, many of the older
    collections fell inside keys. The collector's thresholds are given back when the reader closes."""
    import asyncio
    import gc

    import tui.app as app_module

    thresholds = gc.get_threshold()
    inside: list[int] = []
    keying = [False]

    def seen(phase: str, info: dict) -> None:
        if phase == "start" and keying[0]:
            inside.append(info["generation"])

    app = make_app(warmed)
    gc.callbacks.append(seen)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await ready(app, pilot)
            screen.select_entity(max(screen.corpus.entities.values(), key=lambda e: len(e.mentions)).id)
            swept = 0
            for _ in range(150):
                painted = asyncio.Event()
                keying[0] = True
                await screen.run_action("jump(1)")
                app.call_after_refresh(painted.set)
                await painted.wait()
                keying[0] = False
                before = gc.get_count()[1]
                await pilot.pause(app_module.SWEEP_AFTER * 4)  # the reader sweeps behind the paint
                swept += gc.get_count()[1] < before
            assert inside and set(inside) == {0}, inside  # young collections only, inside the keys
            assert swept and gc.get_count()[1] < app_module.SWEEP_OLDER  # and the older ones came behind
    finally:
        gc.callbacks.remove(seen)
    assert gc.get_threshold() == thresholds


async def test_the_article_the_next_jump_opens_is_wrapped_while_the_reader_reads(warmed, monkeypatch):
    """After a key's paint the reader wraps the articles the next jump either way (and the next source) would
    open; the key that opens one only draws it, with the lines a fresh wrap gives."""
    import tui.article_view as article_view

    wraps = []
    real_wrap = article_view.wrap
    monkeypatch.setattr(article_view, "wrap", lambda text, width: wraps.append(text) or real_wrap(text, width))
    app = make_app(warmed)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(app, pilot)
        ent = max(screen.corpus.entities.values(), key=lambda e: (len(e.docs), len(e.mentions)))
        screen.select_entity(ent.id)
        view = screen.query_one(ArticleView)
        crossed = 0
        for _ in range(len(ent.mentions)):
            await pilot.pause(0.05)  # the reader reads: the next articles are made ready
            doc, wraps[:] = screen.doc, []
            await pilot.press("n")
            if screen.doc != doc:
                crossed += 1
                assert all(text is not view.shown for text in wraps)  # not wrapped by the key itself
                assert view.lines == real_wrap(visible(view.text), view._wrap_width())
                assert view.shown == visible(view.text)
        assert crossed >= 3


@pytest.mark.parametrize("rows", [8, 2])
async def test_stepping_through_an_entity_moves_the_panels_mark_and_the_panel_stays_whole(warmed, monkeypatch, rows):
    """n steps through one entity's mentions across the sources: the panel's ▸ is on the row of the source
    on screen, on one row only, and the panel is drawn whole (its last line shows), also when the current
    source's row is added below the first few (forced here with 2 rows) and the panel grows or shrinks;
    and each article scrolls to its own end."""
    import tui.screens.main as main_screen

    monkeypatch.setattr(main_screen, "PANEL_SOURCES", rows)
    app = make_app(warmed)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await ready(app, pilot)
        ent = max(screen.corpus.entities.values(), key=lambda e: (len(e.docs), len(e.mentions)))
        assert len(ent.docs) == len(screen.articles)
        screen.select_entity(ent.id)
        seen = set()
        for _ in range(len(ent.mentions)):
            await pilot.press("n")
            await pilot.pause()
            rows, tail = screen.query_one("#panel-sources"), screen.query_one("#panel-tail")
            drawn = [rows.render_line(y).text.rstrip() for y in range(rows.size.height)]
            marked = [line for line in drawn if "▸" in line]
            assert len(marked) == 1 and f" in {screen.doc + 1}. " in marked[0], drawn
            assert len(drawn) == len(rows.lines)  # every row shown, no more
            below = [tail.render_line(y).text.rstrip() for y in range(tail.size.height)]
            assert below[-1].startswith("e fix link"), below
            view = screen.query_one(ArticleView)  # the article on screen scrolls to its own last line, no further
            assert view.max_scroll_y == max(0, len(view.lines) - view.scrollable_content_region.height)
            assert view.virtual_size.height == len(view.lines)  # and its scrollbar, drawn from that, says so
            seen.add(screen.doc)
        assert seen == set(range(len(screen.articles)))


async def test_thousands_of_files_show_the_first_at_once_and_are_read_behind_it(warmed, tmp_path, monkeypatch):
    """Over LAZY_FILES files (forced here with the samples), the reader lists the files and reads only the
    first before its first paint; its worker reads the rest, and the reader ends with the articles, order and
    highlights that reading them all up front gives. A file that cannot be read is named in a toast."""
    import shutil

    import tui.cli as cli

    folder = tmp_path / "many"
    shutil.copytree(SAMPLES, folder)
    (folder / "000_binary.txt").write_bytes(b"\x00\x01 not text")
    app = make_app(warmed, paths=(folder,))
    async with app.run_test(size=(100, 30)) as pilot:
        up_front = await ready(app, pilot)
        docs = [a.doc for a in up_front.articles]
        sync = {(d, p.mention.start, p.mention.end, p.entity) for d, lst in enumerate(up_front.corpus.placed) for p in lst}
    assert cli.first_of_many([str(folder)]) == ([], None)  # a few files: all read up front
    monkeypatch.setattr(cli, "LAZY_FILES", 2)
    articles, more = cli.first_of_many([str(folder)])
    assert [a.doc for a in articles] == docs[:1] and len(more) == len(docs) + 1
    app = GlossApp(articles, Library(Store(warmed), api_url=WARMED_WITH["url"], offline=True), [str(folder)], more=more)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert f"opening {len(more)} articles" in status(screen) and not screen.corpus.entities
        assert "There is no expectation" in "".join(screen.query_one(ArticleView).render_line(y).text for y in range(3))
        await pilot.press("]")  # next mention: waits for the articles and their entities
        await app.workers.wait_for_complete()
        await pilot.pause()
        later = {(d, p.mention.start, p.mention.end, p.entity) for d, lst in enumerate(screen.corpus.placed) for p in lst}
        assert [a.doc for a in screen.articles] == [a.doc for a in app.articles] == docs
        assert later == sync and screen.pos is not None and "opening" not in status(screen)
        assert any("000_binary.txt" in str(n.message) and "binary" in str(n.message) for n in app._notifications)


async def test_a_large_warm_set_paints_its_text_first_then_the_same_highlights(warmed, monkeypatch):
    """Over the size read before the first paint (forced here with the samples), the first article's text is
    on screen at once with an "opening" cue; the corpus is read behind it and ends as the one read up front,
    and a key pressed meanwhile waits for it."""
    import tui.screens.main as main_screen

    app = make_app(warmed)
    async with app.run_test(size=(100, 30)) as pilot:
        up_front = await ready(app, pilot)
        sync = {(d, p.mention.start, p.mention.end, p.entity) for d, lst in enumerate(up_front.corpus.placed) for p in lst}
    monkeypatch.setattr(main_screen, "SYNC_LOAD_CHARS", 0)
    app = make_app(warmed)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert not screen.corpus.entities and "opening 5 articles" in status(screen)
        assert "There is no expectation" in "".join(screen.query_one(ArticleView).render_line(y).text for y in range(3))
        await pilot.press("]")  # next mention: waits for the entities
        await app.workers.wait_for_complete()
        await pilot.pause()
        later = {(d, p.mention.start, p.mention.end, p.entity) for d, lst in enumerate(screen.corpus.placed) for p in lst}
        assert later == sync and screen.pos is not None and "opening" not in status(screen)


async def test_each_article_line_lays_its_highlights_as_rich_text_would(warmed):
    """The article pane cuts each line where a highlight starts or ends and lays the styles in order (label,
    selection, current mention, search matches; the later wins). Every line of every sample, with an entity
    selected, a current mention, search matches and an overlapping span, draws the cells and styles that
    Rich's own Text.stylize gives."""
    import random
    import re

    from rich.segment import Segment
    from rich.text import Text
    from textual.strip import Strip

    from tui.article_view import CURRENT, CURRENT_MATCH, LABEL_STYLES, MATCH, OTHER_STYLE, SELECTED

    def by_rich(view: ArticleView, index: int) -> Strip:
        start, end = view.lines[index]
        line = Text(view.shown[start:end].rstrip("\n"), end="", no_wrap=True)
        for s, e, label, ent in view.spans:
            if s < end and e > start:
                a, b = max(s, start) - start, min(e, end) - start
                line.stylize(LABEL_STYLES.get(label, OTHER_STYLE), a, b)
                if ent == view.selected:
                    line.stylize(SELECTED, a, b)
                if view.current == (s, e):
                    line.stylize(CURRENT, a, b)
        for n, (s, e) in enumerate(view.matches):
            if s < end and e > start:
                line.stylize(CURRENT_MATCH if n == view.current_match else MATCH, max(s, start) - start, min(e, end) - start)
        return Strip([Segment(seg.text, (view._base + seg.style) if seg.style else view._base) for seg in line.render(view.app.console)])

    def cells(strip: Strip) -> list:
        return [(ch, seg.style) for seg in strip for ch in seg.text]

    app = make_app(warmed)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(app, pilot)
        view = screen.query_one(ArticleView)
        rng = random.Random(7)
        checked = styled = 0
        for doc in range(len(screen.articles)):
            screen.open_doc(doc)
            await pilot.pause()
            spans = list(view.spans)
            s, e, _, _ = spans[1]
            view.show(view.text, spans + [(max(0, s - 3), e + 2, "ORG", "overlapping")])
            view._base = view.rich_style
            for _ in range(3):
                s, e, _, ent = rng.choice(view.spans)
                view.selected, view.current = ent, (s, e)
                word = rng.choice(view.text.split())[:4]
                view.matches = [(m.start(), m.end()) for m in re.finditer(re.escape(word), view.text)]
                view.current_match = rng.randrange(len(view.matches))
                for index in range(len(view.lines)):
                    drawn = view._render(index)
                    assert cells(drawn) == cells(by_rich(view, index)), (doc, index)
                    checked += 1
                    styled += any(seg.style != view._base for seg in drawn)
        assert checked > 100 and styled > 20


@pytest.mark.parametrize("given, painted", [(None, 120), ("30", 30)])
def test_the_reader_paints_at_most_textual_fps_frames_a_second(given, painted):
    """As the README says: 120 frames a second at most unless TEXTUAL_FPS says otherwise (read on import)."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "TEXTUAL_FPS"} | ({"TEXTUAL_FPS": given} if given else {})
    code = "import tui.app, textual.screen as s; print(round(1 / s.UPDATE_PERIOD))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    assert int(r.stdout) == painted
