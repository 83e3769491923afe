"""Every reader action in the command palette (ctrl+p)."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui.keys import palette

ACTIONS = palette()  # tui/keys.py


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
