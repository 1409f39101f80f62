"""What a stage may touch of a message's Context: the fields it declares.

Each stage module declares READS (the fields it uses) and WRITES (the fields it
produces; it may also read and extend them). The pipeline hands each stage a
StageView of the Context, so a stage that reads or sets anything else fails at
once (in the tests) instead of quietly depending on another stage's internals.
"""

from __future__ import annotations

from typing import Any


class StageContractError(AttributeError):
    """A stage touched a Context field its module does not declare."""


class StageView:
    """A Context as one stage may see it: declared fields only."""

    __slots__ = ("_ctx", "_stage", "_reads", "_writes")

    def __init__(self, ctx: Any, stage: str, reads: tuple[str, ...], writes: tuple[str, ...]) -> None:
        object.__setattr__(self, "_ctx", ctx)
        object.__setattr__(self, "_stage", stage)
        object.__setattr__(self, "_reads", frozenset(reads) | frozenset(writes))
        object.__setattr__(self, "_writes", frozenset(writes))

    def __getattr__(self, name: str) -> Any:
        if name not in self._reads:
            raise StageContractError(
                f"stage {self._stage} reads ctx.{name}, which its READS and WRITES do not declare"
            )
        return getattr(self._ctx, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._writes:
            raise StageContractError(f"stage {self._stage} sets ctx.{name}, which its WRITES do not declare")
        setattr(self._ctx, name, value)
