"""One pool per configured data source, opened on first use, closed together."""

from __future__ import annotations

import difflib
from collections.abc import Mapping

import anyio

from sqltest_core.config import DataSource, Settings
from sqltest_core.connectors._pool import Pool
from sqltest_core.errors import ConfigError

__all__ = ["Pools"]


class Pools:
    """The pools of several data sources, by name; use ``async with``.

    Each pool opens when first asked for, so an unused data source costs nothing
    and an unreachable one fails only the work that needs it.

    >>> import anyio
    >>> async def main():
    ...     settings = Settings(data_sources={"local": {"url": "duckdb://:memory:"}})
    ...     async with Pools(settings) as pools:
    ...         return await (await pools.get("local")).scalar("select 1")
    >>> anyio.run(main)
    1
    """

    def __init__(self, sources: Settings | Mapping[str, DataSource]) -> None:
        self.sources = dict(
            sources.data_sources if isinstance(sources, Settings) else sources
        )
        self._pools: dict[str, Pool] = {}
        self._lock = anyio.Lock()

    @property
    def names(self) -> list[str]:
        """Configured data-source names, sorted."""
        return sorted(self.sources)

    async def get(self, name: str) -> Pool:
        """The open pool of data source ``name``."""
        pool = self._pools.get(name)
        if pool is not None:
            return pool
        source = self.sources.get(name)
        if source is None:
            close = difflib.get_close_matches(name, self.sources, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(
                f"no data source called {name!r}{hint} "
                f"(configured: {', '.join(self.names) or 'none'})"
            )
        async with self._lock:
            if name not in self._pools:
                self._pools[name] = await Pool(source).open()
            return self._pools[name]

    async def __aenter__(self) -> Pools:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every pool opened so far (all of them, even if one fails)."""
        pools, self._pools = list(self._pools.values()), {}
        errors: list[Exception] = []
        for pool in pools:
            try:
                await pool.aclose()
            except Exception as exc:  # close the others, report all
                errors.append(exc)
        if errors:
            raise ExceptionGroup("closing pools failed", errors)
