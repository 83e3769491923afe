"""Messages the workers post back to the screens."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from linker.model import Entity
from tui.navigation import Corpus


@dataclass
class EntitiesReady(Message):
    """Annotation and linking finished (or came from the cache); the corpus is built off the UI thread."""

    entities: list[Entity]
    notice: str | None = None
    corpus: Corpus | None = None
    articles: list | None = None  # every article, when the worker read them (thousands of files)
    problems: list | None = None  # the files it could not read


@dataclass
class Progressed(Message):
    """Background annotation moved on."""

    stage: str
    done: int
    total: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, Progressed)


@dataclass
class LoadFailed(Message):
    error: str
