"""Every key of the reader, once: the bindings, the palette, the help screen and the README table come from here.

``python -m tui.keys`` prints the README's key table (a test checks that the
README holds exactly that table).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Key:
    """One row of the help: the keys as shown, what they do, and the bindings behind them."""

    section: str
    shown: tuple[str, ...]  # the keys as a user types them
    what: str
    bindings: tuple[Binding, ...] = ()
    palette: tuple[tuple[str, str], ...] = ()  # (name in the command palette, action)
    app: bool = False  # bound on the app (every screen), not on the main screen


def b(keys: str, action: str, label: str, id: str, show: bool = False) -> Binding:
    return Binding(keys, action, label, show=show, id=id)


KEYS: tuple[Key, ...] = (
    Key("Reading", ("j", "k"), "scroll down / up", (b("j", "scroll(1)", "Down", "scroll_down"), b("k", "scroll(-1)", "Up", "scroll_up"))),
    Key("Reading", ("space", "b"), "page down / up", (b("space", "page(1)", "Page down", "page_down"), b("b", "page(-1)", "Page up", "page_up"))),
    Key("Reading", ("g", "G"), "top / bottom", (b("g", "edge(0)", "Top", "top"), b("G", "edge(1)", "Bottom", "bottom"))),
    Key(
        "Reading",
        ("J", "K"),
        "next / previous source",
        (b("J", "source(1)", "Next source", "next_source", show=True), b("K", "source(-1)", "Prev source", "prev_source")),
        (("Next source (J)", "source(1)"), ("Previous source (K)", "source(-1)")),
    ),
    Key(
        "Reading",
        ("s",),
        "show or hide the source list (hidden under 100 columns)",
        (b("s", "toggle_sources", "Sources", "toggle_sources"),),
        (("Show or hide the source list (s)", "toggle_sources"),),
    ),
    Key("Reading", ("tab",), "move between the source list and the article"),
    Key(
        "Entities",
        ("]", "["),
        "next / previous entity mention in this source (selects that entity)",
        (
            b("right_square_bracket", "mention(1)", "Next mention", "next_mention", show=True),
            b("left_square_bracket", "mention(-1)", "Prev mention", "prev_mention"),
        ),
        (("Next entity mention in this source (])", "mention(1)"), ("Previous entity mention in this source ([)", "mention(-1)")),
    ),
    Key(
        "Entities",
        ("n", "N", "*", "#"),
        "next / previous mention of the selected entity across all sources; the status line says where, e.g. 4/11 · source 3 of 5",
        (b("n,asterisk", "jump(1)", "Next of entity", "next_of_entity", show=True), b("N,number_sign", "jump(-1)", "Prev of entity", "prev_of_entity")),
        (("Next mention of this entity (n)", "jump(1)"), ("Previous mention of this entity (N)", "jump(-1)")),
    ),
    Key(
        "Entities",
        ("u", "ctrl+o"),
        "back to where you jumped from",
        (b("u,ctrl+o", "back", "Back", "back", show=True),),
        (("Back to where I jumped from (u)", "back"),),
    ),
    Key(
        "Entities",
        ("x",),
        "entity index: every entity with its mentions per source; type to filter, Enter jumps",
        (b("x", "index", "Index", "index", show=True),),
        (("Entity index (x)", "index"),),
    ),
    Key(
        "Entities",
        ("c",),
        "compare: every sentence about the entity, grouped by source; Enter jumps there",
        (b("c", "compare", "Compare", "compare", show=True),),
        (("Compare sources on this entity (c)", "compare"),),
    ),
    Key(
        "Entities",
        ("e",),
        "fix the link: another candidate page or no article; kept in the cache across restarts",
        (b("e", "fix", "Fix link", "fix_link"),),
        (("Fix this entity's link (e)", "fix"),),
    ),
    Key(
        "Entities",
        ("o", "y"),
        "show / copy (OSC 52) the page's URL",
        (b("o", "url", "URL", "show_url"), b("y", "copy_url", "Copy URL", "copy_url")),
        (("Show the page's URL (o)", "url"), ("Copy the page's URL (y)", "copy_url")),
    ),
    Key(
        "Entities",
        ("p",),
        "show or hide the entity panel",
        (b("p", "toggle_panel", "Panel", "toggle_panel"),),
        (("Show or hide the entity panel (p)", "toggle_panel"),),
    ),
    Key(
        "Other",
        ("/",),
        "search in this source; / Enter again steps to the next match (match 2/5)",
        (b("slash", "search", "Search", "search", show=True),),
        (("Search in this source (/)", "search"),),
    ),
    Key(
        "Other",
        ("S",),
        "stories: back to the list of stories (the first screen when gloss opens without PATH after 'gloss add')",
        (b("S", "stories", "Stories", "stories"),),
        (("Back to the stories (S)", "app.stories"),),
        app=True,
    ),
    Key("Other", ("ctrl+p",), "command palette: every action by name"),
    Key("Other", ("?", "f1"), "this help", (b("question_mark,f1", "help", "Help", "help", show=True),), (("Help: all keys (?)", "app.help"),), app=True),
    Key("Other", ("q",), "quit", (b("q", "quit", "Quit", "quit", show=True),), app=True),
)


def screen_bindings() -> list[Binding]:
    return [binding for key in KEYS if not key.app for binding in key.bindings]


def app_bindings() -> list[Binding]:
    return [binding for key in KEYS if key.app for binding in key.bindings]


def palette() -> list[tuple[str, str]]:
    return [entry for key in KEYS for entry in key.palette]


def shown(key: Key) -> str:
    return " / ".join(key.shown)


def readme_table() -> str:
    rows = ["| Key | What it does |", "| --- | --- |"]
    rows += [f"| {' / '.join(f'`{k}`' for k in key.shown)} | {key.what} |" for key in KEYS]
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(readme_table(), end="")
