"""Entry-point loading shared by every plug-in registry.

Built-ins are declared through the same entry points as outside plug-ins and are
imported on first use, so ``import sqltest_core`` stays cheap and plug-ins are
first-class. Tests and applications may also :meth:`Registry.register` objects
directly.
"""

from __future__ import annotations

import difflib
import threading
from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from typing import Generic, TypeVar

from sqltest_core.errors import PluginError, PluginNotFound

__all__ = ["Registry"]

T = TypeVar("T")


class Registry(Generic[T]):
    """Named plug-ins of one kind, discovered from an entry-point group.

    Args:
        group: Entry-point group, such as ``sqltest_core.connectors``.
        kind: What the plug-ins are, for messages (``connector``).
        check: Validates a loaded object; raises ``TypeError`` if it does not fit.
    """

    def __init__(self, group: str, *, kind: str, check: Callable[[object], T]) -> None:
        self.group = group
        self.kind = kind
        self._check = check
        self._loaded: dict[str, T] = {}
        self._entry_points: dict[str, EntryPoint] | None = None
        self._lock = threading.Lock()

    def _discover(self) -> dict[str, EntryPoint]:
        if self._entry_points is None:
            found: dict[str, EntryPoint] = {}
            for ep in entry_points(group=self.group):
                other = found.get(ep.name)
                if other is not None and other.value != ep.value:
                    raise PluginError(
                        f"{self.kind} {ep.name!r} is claimed twice: by {other.value} "
                        f"and by {ep.value}; uninstall one of them"
                    )
                found[ep.name] = ep
            self._entry_points = found
        return self._entry_points

    def names(self) -> list[str]:
        """Every known plug-in name, registered or discoverable, sorted."""
        with self._lock:
            return sorted(set(self._discover()) | set(self._loaded))

    def register(self, name: str, obj: object, *, replace: bool = False) -> None:
        """Add a plug-in under ``name``; a second claim raises unless ``replace``."""
        checked = self._checked(name, obj)
        with self._lock:
            known = self._loaded.get(name)
            if known is not None and known is not checked and not replace:
                raise PluginError(f"{self.kind} {name!r} is already registered")
            self._loaded[name] = checked

    def unregister(self, name: str) -> None:
        """Forget a plug-in registered with :meth:`register`."""
        with self._lock:
            self._loaded.pop(name, None)

    def get(self, name: str) -> T:
        """Return the plug-in called ``name``, importing it on first use."""
        with self._lock:
            if name in self._loaded:
                return self._loaded[name]
            ep = self._discover().get(name)
        if ep is None:
            close = difflib.get_close_matches(name, self.names(), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise PluginNotFound(
                f"no {self.kind} called {name!r}{hint} "
                f"(known: {', '.join(self.names()) or 'none'})"
            )
        try:
            obj = ep.load()
        except ImportError as exc:
            raise PluginError(
                f"{self.kind} {name!r} ({ep.value}) failed to import: {exc}"
            ) from exc
        checked = self._checked(name, obj)
        with self._lock:
            self._loaded.setdefault(name, checked)
            return self._loaded[name]

    def _checked(self, name: str, obj: object) -> T:
        try:
            return self._check(obj)
        except TypeError as exc:
            raise PluginError(f"{self.kind} {name!r} does not fit: {exc}") from exc
