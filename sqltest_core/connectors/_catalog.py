"""Catalog values: what introspection finds in a schema."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

__all__ = ["Catalog", "Column", "ForeignKey", "Table"]


@dataclass(frozen=True, slots=True)
class Column:
    """A column as the database declares it."""

    name: str
    data_type: str
    """The engine's own type name, lower case (``numeric(12,2)``, ``varchar(20)``)."""
    nullable: bool
    position: int
    """1-based ordinal position."""


@dataclass(frozen=True, slots=True)
class ForeignKey:
    """A foreign key from ``columns`` to ``referred_columns`` of another table."""

    name: str | None
    columns: tuple[str, ...]
    referred_schema: str | None
    referred_table: str
    referred_columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Table:
    """A table or view with its columns and keys."""

    schema: str
    name: str
    kind: Literal["table", "view"]
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    row_estimate: int | None = None
    """The planner's estimate; ``None`` where the engine keeps none (or for views)."""

    def column(self, name: str) -> Column:
        """The column called ``name``; ``KeyError`` names the table when missing."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.schema}.{self.name} has no column {name!r}")


@dataclass(frozen=True, slots=True)
class Catalog:
    """The tables and views of one schema, by name."""

    schema: str
    tables: Mapping[str, Table] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def of(cls, schema: str, tables: Iterable[Table]) -> Catalog:
        """Build a catalog from tables (sorted by name)."""
        ordered = sorted(tables, key=lambda t: t.name)
        return cls(schema, MappingProxyType({t.name: t for t in ordered}))

    def __getitem__(self, name: str) -> Table:
        return self.tables[name]

    def __contains__(self, name: object) -> bool:
        return name in self.tables

    def __len__(self) -> int:
        return len(self.tables)
