"""Generated-data specs derived from a real table's catalog entry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pyarrow as pa

from sqltest_core.errors import ConfigError
from sqltest_core.testing._generate import ColumnSpec, TableSpec

if TYPE_CHECKING:
    from sqltest_core.connectors._catalog import Table

__all__ = ["spec_from_catalog"]


def spec_from_catalog(
    table: Table,
    *,
    dialect: str | None = None,
    rows: int = 100,
    overrides: Mapping[str, ColumnSpec] | None = None,
) -> TableSpec:
    """A spec for a real table: types, nullability, keys from its catalog entry.

    Type names are read with sqlglot for ``dialect`` (a pool's ``dialect``;
    ``None`` reads generic SQL): ``numeric(12,2)``, ``character varying(20)``,
    ``NUMBER(38,0)``, ``tinyint(1)`` on MySQL as a boolean. Primary-key
    columns become unique and NOT NULL, single-column foreign keys become
    ``references``. A column whose type has no generator
    (JSON, UUID, BLOB...) needs an entry in ``overrides``.

    Raises:
        ConfigError: naming the column whose type cannot be generated.

    >>> from sqltest_core.connectors import Column, Table
    >>> t = Table("main", "items", "table", (Column("id", "integer", False, 1),
    ...           Column("price", "decimal(8,2)", True, 2)), primary_key=("id",))
    >>> [(c.name, str(c.type), c.unique) for c in
    ...  spec_from_catalog(t, dialect="duckdb").columns]
    [('id', 'int32', True), ('price', 'decimal128(8, 2)', False)]
    """
    overrides = dict(overrides or {})
    references: dict[str, tuple[str, str]] = {}
    for fk in table.foreign_keys:
        if len(fk.columns) == 1:
            references[fk.columns[0]] = (fk.referred_table, fk.referred_columns[0])
    columns = []
    for col in table.columns:
        if col.name in overrides:
            columns.append(overrides.pop(col.name))
            continue
        key = col.name in table.primary_key
        arrow, length = _arrow_of(col.data_type, dialect, col.name, table.name)
        columns.append(
            ColumnSpec(
                col.name,
                arrow,
                nullable=col.nullable and not key,
                unique=key and len(table.primary_key) == 1,
                references=references.get(col.name),
                length=length,
            )
        )
    if overrides:
        raise ConfigError(
            f"{table.name}: overrides for unknown columns {', '.join(overrides)}"
        )
    return TableSpec(table.name, tuple(columns), rows)


def _arrow_of(
    type_name: str, dialect: str | None, column: str, table: str
) -> tuple[pa.DataType, tuple[int, int]]:
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    from sqltest_core.rules._dialects import dialect_of

    try:
        read = dialect_of(dialect) if dialect is not None else None
        built = exp.DataType.build(type_name, dialect=read)
    except (SqlglotError, ValueError):
        built = None
    kind = built.this if built is not None else None
    params = (
        [int(e.name) for e in built.expressions if e.name.isdigit()] if built else []
    )
    T = exp.DataType.Type
    length = (1, 12)
    simple: dict[object, pa.DataType] = {
        T.BOOLEAN: pa.bool_(), T.SMALLINT: pa.int16(), T.INT: pa.int32(),
        T.MEDIUMINT: pa.int32(), T.BIGINT: pa.int64(), T.UTINYINT: pa.uint8(),
        T.USMALLINT: pa.uint16(), T.UINT: pa.uint32(), T.UMEDIUMINT: pa.uint32(),
        T.UBIGINT: pa.uint64(), T.FLOAT: pa.float32(), T.DOUBLE: pa.float64(),
        T.DATE: pa.date32(), T.TIME: pa.time64("us"), T.DATETIME: pa.timestamp("us"),
        T.TIMESTAMP: pa.timestamp("us"), T.TIMESTAMPNTZ: pa.timestamp("us"),
        T.TIMESTAMPTZ: pa.timestamp("us", tz="UTC"),
        T.TIMESTAMPLTZ: pa.timestamp("us", tz="UTC"),
    }  # fmt: skip
    if kind == T.TINYINT:
        boolean = dialect == "mysql" and params == [1]
        return (pa.bool_() if boolean else pa.int8()), length
    if kind in (T.INT, T.BIGINT, T.SMALLINT) and dialect == "sqlite":
        return pa.int64(), length  # SQLite integers are 64-bit whatever the name
    if kind in simple:
        return simple[kind], length
    if kind == T.DECIMAL:
        precision, scale = [*params, 38, 0][:2] if params else (38, 10)
        if len(params) == 1:
            scale = 0
        if precision > 38:
            raise ConfigError(f"{table}.{column}: {type_name} is wider than decimal128")
        return pa.decimal128(precision, scale), length
    if kind in (T.VARCHAR, T.NVARCHAR, T.CHAR, T.NCHAR, T.TEXT):
        if params:
            top = max(1, min(params[0], 12))
            fixed = kind in (T.CHAR, T.NCHAR)
            length = (top, top) if fixed else (1, top)
        return pa.string(), length
    raise ConfigError(
        f"{table}.{column}: no generator for type {type_name!r}: "
        "pass overrides={name: ColumnSpec(...)}"
    )
