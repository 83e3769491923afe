"""Every reader action in the command palette (ctrl+p)."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

ACTIONS = [
    ("Next mention of this entity (n)", "jump(1)"),
    ("Previous mention of this entity (N)", "jump(-1)"),
    ("Next entity mention in this source (])", "mention(1)"),
    ("Previous entity mention in this source ([)", "mention(-1)"),
    ("Next source (J)", "source(1)"),
    ("Previous source (K)", "source(-1)"),
    ("Back to where I jumped from (u)", "back"),
    ("Entity index (x)", "index"),
    ("Compare sources on this entity (c)", "compare"),
    ("Search in this source (/)", "search"),
    ("Fix this entity's link (e)", "fix"),
    ("Show the Wikipedia URL (o)", "url"),
    ("Copy the Wikipedia URL (y)", "copy_url"),
    ("Show or hide the entity panel (p)", "toggle_panel"),
    ("Show or hide the source list (s)", "toggle_sources"),
    ("Help: all keys (?)", "app.help"),
]


class GlossCommands(Provider):
    async def _run(self, action: str) -> None:
        from tui.screens.main import MainScreen

        screen = next((s for s in self.app.screen_stack if isinstance(s, MainScreen)), None)
        if screen is None:
            return
        await screen.run_action(action)

    async def discover(self) -> Hits:
        for name, action in ACTIONS:
            yield DiscoveryHit(name, partial(self._run, action))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, action in ACTIONS:
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), partial(self._run, action))
