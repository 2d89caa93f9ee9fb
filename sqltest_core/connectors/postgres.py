"""PostgreSQL through asyncpg, with results streamed as Arrow by ``COPY``.

A query that is a plain ``SELECT``/``VALUES``/``TABLE``/``WITH`` runs as
``COPY (SELECT <converted columns> FROM (<query>) q) TO STDOUT`` in PostgreSQL's
text format; pyarrow's C++ CSV reader parses the bytes in a worker thread while
they arrive, with an explicit schema taken from the prepared statement. That is
several times faster than building asyncpg records. Everything else (``INSERT ...
RETURNING``, ``SHOW``, ``EXPLAIN``) goes through a server-side cursor and asyncpg
records. Both paths give the same Arrow types; docs/engines/postgres.md has the map.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import datetime
import decimal
import functools
import io
import json
import re
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal

import anyio

from sqltest_core.connectors._base import (
    BaseConnection,
    BaseConnector,
    Params,
    ParamStyle,
    import_driver,
)
from sqltest_core.connectors._catalog import Catalog, Column, ForeignKey, Table
from sqltest_core.connectors._threads import run_interruptible
from sqltest_core.errors import (
    ConnectError,
    ConnectorError,
    QueryError,
    QueryTimeout,
)

if TYPE_CHECKING:
    import pyarrow as pa

    from sqltest_core.config import DataSource

__all__ = ["PostgresConnection", "PostgresConnector"]

CONNECT_TIMEOUT: Final = 10.0
"""Seconds to wait for a session unless ``options["timeout"]`` says otherwise."""

# The COPY reader parses PostgreSQL's text output, so these must hold whatever the
# user configures (they override ``server_settings`` of the same name).
SESSION_SETTINGS: Final = {
    "DateStyle": "ISO, YMD",
    "extra_float_digits": "3",
    "bytea_output": "hex",
}

UNCONSTRAINED_NUMERIC_SCALE: Final = 10
"""Scale of the decimal128(38, 10) that ``numeric`` without a typmod maps to."""

_INLINE_BYTES = 64 * 1024  # results this small are parsed on the event loop
_PIPE_BYTES = 4 * 1024 * 1024  # COPY data buffered ahead of the parser, at most
_CSV_BLOCK = 1 << 20
_CANCEL_TIMEOUT = 5.0  # seconds for a cancelled COPY to end before we hang up

_TRANSIENT_CONNECT = {"57P01", "57P02", "57P03", "53300"}
_TRANSIENT_QUERY = {"40001", "40P01"}
# Builtin types whose asyncpg decoding would not match PostgreSQL's own text (which
# the COPY path returns): decode them as text in both paths.
_TEXT_CODECS = (
    "timetz", "inet", "cidr", "macaddr", "macaddr8", "bit", "varbit", "pg_lsn",
    "point", "line", "lseg", "box", "path", "polygon", "circle", "txid_snapshot",
)  # fmt: skip
_LIST_ELEMENTS = {
    "int2", "int4", "int8", "float4", "float8", "bool", "numeric",
    "text", "varchar", "bpchar", "name", "char", "uuid",
}  # fmt: skip
_FIRST_WORDS = {"select", "values", "table", "with"}
# A data-modifying statement cannot sit inside COPY (SELECT ... FROM (...)).
_MODIFYING_WORDS = {"insert", "update", "delete", "merge", "into"}
_LEXEME = re.compile(
    r"""
      (?P<skip>
          (?<![\w$])[eE]'(?:[^'\\]|\\.|'')*'
        | '(?:[^']|'')*'
        | "(?:[^"]|"")*"
        | --[^\n]*
        | /\*.*?\*/
        | (?P<tag>\$(?:[^\W\d]\w*)?\$).*?(?P=tag)
      )
    | (?<![\w$])\$(?P<param>\d+)
    | (?P<semi>;)
    | (?P<word>[^\W\d][\w$]*)
    """,
    re.S | re.X,
)
_ESCAPE = re.compile(r"\\(.)", re.S)
_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


# -- SQL text --------------------------------------------------------------------


def _statement_words(sql: str) -> list[str]:
    """The lower-cased words of ``sql`` outside literals, identifiers and comments.

    >>> _statement_words("SELECT 'insert' AS \\"update\\" -- delete")
    ['select', 'as']
    """
    return [m["word"].lower() for m in _LEXEME.finditer(sql) if m["word"]]


def _is_copyable(sql: str) -> bool:
    """True when ``sql`` can run inside ``COPY (SELECT ... FROM (sql) q)``.

    >>> _is_copyable("WITH t AS (SELECT 1) SELECT * FROM t"), _is_copyable("SHOW x")
    (True, False)
    """
    words = _statement_words(sql)
    return (
        bool(words) and words[0] in _FIRST_WORDS and not _MODIFYING_WORDS & set(words)
    )


def _substitute_params(sql: str, literals: Sequence[str]) -> str:
    """Replace ``$n`` (outside literals and comments) by ``literals[n - 1]``.

    >>> _substitute_params("SELECT $1, '$1', $2 -- $2", ["(1)", "(2)"])
    "SELECT (1), '$1', (2) -- $2"
    """

    def replace(m: re.Match[str]) -> str:
        index = m["param"]
        return m[0] if index is None else literals[int(index) - 1]

    return _LEXEME.sub(replace, sql)


def _without_final_semicolon(sql: str) -> str:
    """``sql`` without a trailing ``;`` (comments after it go too).

    >>> _without_final_semicolon("SELECT ';' AS s; -- done")
    "SELECT ';' AS s"
    """
    semis = [m for m in _LEXEME.finditer(sql) if m["semi"]]
    if semis:
        rest = _LEXEME.sub(
            lambda m: "" if m[0].startswith(("--", "/*")) else m[0],
            sql[semis[-1].end() :],
        )
        if not rest.strip():
            return sql[: semis[-1].start()]
    return sql


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _type_ref(pgtype: Any) -> str:
    name = pgtype.name[:-2] if pgtype.name.endswith("[]") else pgtype.name
    ref = f"{_quote_ident(pgtype.schema)}.{_quote_ident(name)}"
    return ref + "[]" if pgtype.kind == "array" else ref


# -- type mapping -----------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class _Column:
    """How one result column travels: SQL around it, CSV types, Arrow type."""

    name: str
    type: pa.DataType
    kind: str
    """Conversion: plain, tz, text, bytea, list, interval, wide, free (numeric)."""
    exprs: tuple[str, ...]
    """SQL over the column (``{c}``) sent through COPY, one per CSV field."""
    csv_types: tuple[pa.DataType, ...]


def _numeric(typmod: int) -> tuple[int, int] | None:
    if typmod < 4:
        return None
    packed = typmod - 4
    precision, scale = (packed >> 16) & 0xFFFF, ((packed & 0x7FF) ^ 1024) - 1024
    return (precision, scale) if 0 <= scale <= precision else None


def _plain_type(name: str, typmod: int) -> tuple[pa.DataType, str] | None:
    import pyarrow as pa

    simple = {
        "int2": pa.int16(),
        "int4": pa.int32(),
        "int8": pa.int64(),
        "oid": pa.uint32(),
        "float4": pa.float32(),
        "float8": pa.float64(),
        "bool": pa.bool_(),
        "date": pa.date32(),
        "time": pa.time64("us"),
        "timestamp": pa.timestamp("us"),
        "timestamptz": pa.timestamp("us", tz="UTC"),
    }
    if name in simple:
        return simple[name], "tz" if name == "timestamptz" else "plain"
    if name == "numeric":
        ps = _numeric(typmod)
        if ps is None:
            return pa.decimal128(38, UNCONSTRAINED_NUMERIC_SCALE), "free"
        if ps[0] > 38:
            return pa.decimal256(*ps), "wide"
        return pa.decimal128(*ps), "plain"
    return None


def _plan(name: str, pgtype: Any, typmod: int) -> _Column:
    import pyarrow as pa

    text = pa.string()
    builtin = pgtype.schema == "pg_catalog"
    if builtin and pgtype.kind == "array":
        elem = pgtype.name[:-2]
        if elem in _LIST_ELEMENTS:
            mapped = _plain_type(elem, typmod)
            list_type = pa.list_(mapped[0] if mapped else text)
            return _Column(name, list_type, "list", ("to_json({c})",), (text,))
    elif builtin:
        mapped = _plain_type(pgtype.name, typmod)
        if mapped is not None:
            arrow_type, kind = mapped
            if kind == "tz":
                utc = ("{c} AT TIME ZONE 'UTC'",)  # parsed naive, then labelled UTC
                return _Column(name, arrow_type, kind, utc, (pa.timestamp("us"),))
            if kind == "free":
                expr = f"round({{c}}, {UNCONSTRAINED_NUMERIC_SCALE})"
                return _Column(name, arrow_type, kind, (expr,), (arrow_type,))
            csv_type = text if kind == "wide" else arrow_type
            return _Column(name, arrow_type, kind, ("{c}",), (csv_type,))
        if pgtype.name == "bytea":
            return _Column(name, pa.binary(), "bytea", ("{c}",), (text,))
        if pgtype.name == "void":
            return _Column(name, pa.null(), "plain", ("NULL",), (pa.null(),))
        if pgtype.name == "interval":
            # Months, days and microseconds, as PostgreSQL stores an interval.
            parts = (
                "(extract(year FROM {c}) * 12 + extract(month FROM {c}))::int4",
                "extract(day FROM {c})::int4",
                "(extract(hour FROM {c}) * 3600000000"
                " + extract(minute FROM {c}) * 60000000"
                " + extract(microseconds FROM {c}))::int8",
            )
            fields = (pa.int32(), pa.int32(), pa.int64())
            interval = pa.month_day_nano_interval()
            return _Column(name, interval, "interval", parts, fields)
    # Text, JSON, UUID, enums, ranges, network and geometric types, other arrays:
    # PostgreSQL's own text representation.
    return _Column(name, text, "text", ("{c}",), (text,))


def _row_desc(stmt: Any) -> list[tuple[Any, ...]] | None:
    # asyncpg keeps the RowDescription (with each column's typmod, which carries
    # numeric precision and scale) in a Cython attribute Python cannot read; the
    # garbage collector's view of the statement state can. Checked against the
    # public attributes, and tested, so an asyncpg change shows up as a failure.
    import gc

    attrs = stmt.get_attributes()
    for ref in gc.get_referents(stmt._state):
        if (
            isinstance(ref, list)
            and len(ref) == len(attrs)
            and all(
                isinstance(d, tuple) and len(d) == 7 and d[3] == a.type.oid
                for d, a in zip(ref, attrs, strict=True)
            )
        ):
            return ref
    return None


def _columns(stmt: Any) -> list[_Column]:
    attrs = stmt.get_attributes()
    desc = _row_desc(stmt)
    typmods = [d[5] for d in desc] if desc else [-1] * len(attrs)
    return [_plan(a.name, a.type, mod) for a, mod in zip(attrs, typmods, strict=True)]


def _schema(columns: Sequence[_Column]) -> pa.Schema:
    import pyarrow as pa

    return pa.schema([pa.field(c.name, c.type) for c in columns])


# -- value conversion ---------------------------------------------------------------


def _quantizer() -> Callable[[object], object]:
    exp = decimal.Decimal(1).scaleb(-UNCONSTRAINED_NUMERIC_SCALE)
    # PostgreSQL's round() rounds half away from zero; 60 digits hold any decimal128.
    context = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_UP)

    def quantize(value: object) -> object:
        if isinstance(value, decimal.Decimal) and value.is_finite():
            return value.quantize(exp, context=context)
        return value

    return quantize


def _unescape(value: str) -> str:
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m[1], m[1]), value)


def _unescaped(array: pa.Array) -> pa.Array:
    """Undo COPY text escapes (``\\n``, ``\\t``, ``\\\\``) where any occur."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if (
        array.null_count == len(array)
        or not pc.any(pc.match_substring(array, "\\")).as_py()
    ):
        return array
    return pa.array(
        [None if v is None else _unescape(v) for v in array.to_pylist()], pa.string()
    )


def _from_copy(column: _Column, fields: list[pa.Array]) -> pa.Array:
    import pyarrow as pa

    kind, first = column.kind, fields[0]
    if kind in ("plain", "free"):
        return first
    if kind == "tz":
        return first.view(column.type)
    if kind == "wide":
        return first.cast(column.type)
    if kind == "interval":
        months, days, micros = (f.to_pylist() for f in fields)
        values = [
            None if m is None else (m, d, us * 1000)
            for m, d, us in zip(months, days, micros, strict=True)
        ]
        return pa.array(values, column.type)
    strings = _unescaped(first)
    if kind == "text":
        return strings
    if kind == "bytea":
        hexes = strings.to_pylist()
        return pa.array(
            [None if h is None else bytes.fromhex(h[2:]) for h in hexes], pa.binary()
        )
    # kind == "list": JSON from to_json(); numbers stay exact as Decimal.
    loads = functools.partial(json.loads, parse_float=decimal.Decimal)
    lists = [None if v is None else loads(v) for v in strings.to_pylist()]
    return _list_array(lists, column.type)


def _list_array(lists: list[Any], arrow_type: pa.DataType) -> pa.Array:
    import pyarrow as pa

    elem = arrow_type.value_type
    if (
        pa.types.is_decimal(elem)
        and elem.scale == UNCONSTRAINED_NUMERIC_SCALE
        and elem.precision == 38
    ):
        quantize = _quantizer()
        lists = [None if v is None else [quantize(x) for x in v] for v in lists]
    elif pa.types.is_string(elem):
        lists = [
            None if v is None else [None if x is None else str(x) for x in v]
            for v in lists
        ]
    try:
        return pa.array(lists, arrow_type)
    except (pa.ArrowException, TypeError) as exc:
        raise ValueError(
            f"cannot convert a PostgreSQL array to {arrow_type} ({exc}); "
            "multi-dimensional arrays are not supported: cast the column to text"
        ) from None


def _from_records(column: _Column, values: Sequence[object]) -> pa.Array:
    import pyarrow as pa

    kind = column.kind
    if kind == "free":
        quantize = _quantizer()
        return pa.array([quantize(v) for v in values], column.type)
    if kind == "interval":
        intervals: Any = values  # (months, days, microseconds) from our tuple codec
        return pa.array(
            [None if v is None else (v[0], v[1], v[2] * 1000) for v in intervals],
            column.type,
        )
    if kind == "text":
        return pa.array(
            [v if v is None or isinstance(v, str) else str(v) for v in values],
            pa.string(),
        )
    if kind == "list":
        return _list_array(list(values), column.type)
    return pa.array(values, column.type)


def _records_to_batch(
    rows: Sequence[Sequence[object]], columns: Sequence[_Column], schema: pa.Schema
) -> pa.RecordBatch:
    import pyarrow as pa

    if not rows:
        return pa.RecordBatch.from_pylist([], schema=schema)
    values = list(zip(*rows, strict=True))
    arrays = [_from_records(c, v) for c, v in zip(columns, values, strict=True)]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _encode_interval(value: datetime.timedelta | Sequence[int]) -> tuple[int, int, int]:
    if isinstance(value, datetime.timedelta):
        return (0, value.days, value.seconds * 1_000_000 + value.microseconds)
    months, days, micros = value
    return (int(months), int(days), int(micros))


def _decode_interval(value: tuple[int, int, int]) -> tuple[int, int, int]:
    return value


# -- COPY plumbing ------------------------------------------------------------------


class _Pipe(io.RawIOBase):
    """COPY bytes from the event loop to a reader thread, with backpressure.

    The writer (asyncpg's COPY sink, on the loop) waits while ``limit`` bytes are
    unread; asyncpg then stops reading the socket, so the server waits too.
    """

    def __init__(
        self, loop: asyncio.AbstractEventLoop, *, limit: int, ready_at: int
    ) -> None:
        super().__init__()
        self._loop = loop
        self._limit = limit
        self._ready_at = ready_at
        self._chunks: collections.deque[bytes] = collections.deque()
        self._size = 0
        self._eof = False
        self._aborted = False
        self._cond = threading.Condition()
        self._space = asyncio.Event()
        self._space.set()
        self.ready = asyncio.Event()
        """Set once ``ready_at`` bytes wait, or the data is complete."""

    def readable(self) -> bool:
        return True

    async def write_chunk(self, data: bytes) -> None:
        """Queue ``data``, waiting while the pipe is full; dropped after abort."""
        with self._cond:
            if self._aborted:
                return
            self._chunks.append(data)
            self._size += len(data)
            self._cond.notify()
            full = self._size >= self._limit
            if full:
                self._space.clear()
            if self._size >= self._ready_at:
                self.ready.set()
        if full:
            await self._space.wait()

    def finish(self) -> None:
        """Mark the end of the data (loop side)."""
        with self._cond:
            self._eof = True
            self._cond.notify_all()
        self.ready.set()
        self._space.set()

    def abort(self) -> None:
        """End the stream for the reader; drop buffered and later data (any thread)."""
        with self._cond:
            self._chunks.clear()
            self._size = 0
            self._eof = self._aborted = True
            self._cond.notify_all()
        self._loop.call_soon_threadsafe(self._space.set)

    def drain(self) -> bytes:
        """Everything buffered (loop side, once the data is complete)."""
        with self._cond:
            data = b"".join(self._chunks)
            self._chunks.clear()
            self._size = 0
            return data

    def read(self, size: int | None = -1) -> bytes:
        size = -1 if size is None else size
        with self._cond:
            while not self._chunks and not self._eof:
                self._cond.wait()
            out: list[bytes] = []
            got = 0
            while self._chunks and (size < 0 or got < size):
                chunk = self._chunks.popleft()
                if 0 <= size < got + len(chunk):
                    cut = size - got
                    self._chunks.appendleft(chunk[cut:])
                    chunk = chunk[:cut]
                out.append(chunk)
                got += len(chunk)
            self._size -= got
            if got and self._size < self._limit:
                self._loop.call_soon_threadsafe(self._space.set)
        return b"".join(out)


class _CopyReader:
    """Parses COPY text output into batches of exactly ``size`` rows (last: fewer)."""

    def __init__(
        self,
        source: Any,
        columns: Sequence[_Column],
        schema: pa.Schema,
        *,
        threads: bool,
    ) -> None:
        import pyarrow.csv as csv

        self._columns = columns
        self._schema = schema
        self._pending: list[pa.RecordBatch] = []
        self._rows = 0
        self.exhausted = False
        names: list[str] = []
        types: dict[str, pa.DataType] = {}
        for column in columns:
            for t in column.csv_types:
                names.append(f"f{len(names)}")
                types[names[-1]] = t
        self._reader = csv.open_csv(
            source,
            read_options=csv.ReadOptions(
                column_names=names, use_threads=threads, block_size=_CSV_BLOCK
            ),
            parse_options=csv.ParseOptions(
                delimiter="\t",
                quote_char=False,
                double_quote=False,
                escape_char=False,
                newlines_in_values=False,
                ignore_empty_lines=False,
            ),
            convert_options=csv.ConvertOptions(
                column_types=types,
                null_values=["\\N"],
                strings_can_be_null=True,
                true_values=["t"],
                false_values=["f"],
                check_utf8=False,  # the server sends valid UTF-8
            ),
        )

    def next_batch(self, size: int) -> pa.RecordBatch | None:
        import pyarrow as pa

        while self._rows < size and not self.exhausted:
            try:
                raw = self._reader.read_next_batch()
            except StopIteration:
                self.exhausted = True
                break
            if raw.num_rows:
                self._pending.append(raw)
                self._rows += raw.num_rows
        if not self._pending:
            return None
        raw = self._pending[0]
        if len(self._pending) > 1:
            raw = pa.Table.from_batches(self._pending).combine_chunks().to_batches()[0]
        batch, rest = raw.slice(0, size), raw.slice(size)
        self._pending = [rest] if rest.num_rows else []
        self._rows = rest.num_rows
        arrays: list[pa.Array] = []
        at = 0
        for column in self._columns:
            width = len(column.csv_types)
            arrays.append(
                _from_copy(column, [batch.column(i) for i in range(at, at + width)])
            )
            at += width
        return pa.RecordBatch.from_arrays(arrays, schema=self._schema)


def _copy_sql(body: str, columns: Sequence[_Column]) -> str:
    aliases = ", ".join(f"c{i}" for i in range(len(columns)))
    exprs = ", ".join(
        expr.format(c=f"_sqltest_q.c{i}")
        for i, col in enumerate(columns)
        for expr in col.exprs
    )
    body = _without_final_semicolon(body)
    return f"SELECT {exprs} FROM (\n{body}\n) AS _sqltest_q({aliases})"


def _affected(status: str) -> int:
    """Rows affected, from a command tag such as ``INSERT 0 5``; -1 when unknown."""
    parts = status.split()
    verbs = {"INSERT", "UPDATE", "DELETE", "MERGE", "SELECT", "COPY", "FETCH", "MOVE"}
    if len(parts) >= 2 and parts[0] in verbs and parts[-1].isdigit():
        return int(parts[-1])
    return -1


# -- connection ---------------------------------------------------------------------

_CATALOG_SQL = """
SELECT s.name, (
  SELECT json_agg(json_build_object(
    'name', c.relname,
    'kind', c.relkind,
    'rows', c.reltuples,
    'columns', (
      SELECT json_agg(json_build_array(
               a.attname, lower(format_type(a.atttypid, a.atttypmod)), NOT a.attnotnull
             ) ORDER BY a.attnum)
      FROM pg_catalog.pg_attribute a
      WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
    'pk', (
      SELECT json_agg(a.attname ORDER BY k.ord)
      FROM pg_catalog.pg_constraint p
      CROSS JOIN LATERAL unnest(p.conkey) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_catalog.pg_attribute a ON a.attrelid = p.conrelid AND a.attnum = k.attnum
      WHERE p.conrelid = c.oid AND p.contype = 'p'),
    'fks', (
      SELECT json_agg(json_build_array(f.conname, rn.nspname, rc.relname, (
        SELECT json_agg(json_build_array(a.attname, ra.attname) ORDER BY k.ord)
        FROM unnest(f.conkey, f.confkey) WITH ORDINALITY AS k(col, rcol, ord)
        JOIN pg_catalog.pg_attribute a ON a.attrelid = f.conrelid AND a.attnum = k.col
        JOIN pg_catalog.pg_attribute ra
          ON ra.attrelid = f.confrelid AND ra.attnum = k.rcol
      )) ORDER BY f.conname)
      FROM pg_catalog.pg_constraint f
      JOIN pg_catalog.pg_class rc ON rc.oid = f.confrelid
      JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
      WHERE f.conrelid = c.oid AND f.contype = 'f')
  ))
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = s.name AND c.relkind IN ('r', 'p', 'f', 'v', 'm')
)
FROM (SELECT coalesce($1::text, current_schema()) AS name) AS s
"""

_SCHEMAS_SQL = """
SELECT nspname FROM pg_catalog.pg_namespace
WHERE has_schema_privilege(oid, 'USAGE')
  AND nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'
ORDER BY nspname
"""


def _table(schema: str, entry: dict[str, Any]) -> Table:
    kind: Literal["table", "view"] = "view" if entry["kind"] in ("v", "m") else "table"
    columns = tuple(
        Column(name=name, data_type=data_type, nullable=nullable, position=i)
        for i, (name, data_type, nullable) in enumerate(entry["columns"] or [], start=1)
    )
    fks = tuple(
        ForeignKey(
            name=fk_name,
            columns=tuple(pair[0] for pair in pairs),
            referred_schema=ref_schema,
            referred_table=ref_table,
            referred_columns=tuple(pair[1] for pair in pairs),
        )
        for fk_name, ref_schema, ref_table, pairs in entry["fks"] or []
    )
    rows = entry["rows"]
    estimate = None if entry["kind"] == "v" or rows is None or rows < 0 else int(rows)
    return Table(
        schema=schema,
        name=entry["name"],
        kind=kind,
        columns=columns,
        primary_key=tuple(entry["pk"] or ()),
        foreign_keys=fks,
        row_estimate=estimate,
    )


class PostgresConnection(BaseConnection):
    """One asyncpg session.

    Cancelling an await, a timeout, or a consumer that stops iterating cancels the
    statement on the server (asyncpg's cancel request, or for COPY our own, see
    :meth:`_stop_copy`); the session stays usable.
    """

    def __init__(self, source: DataSource, conn: Any) -> None:
        super().__init__(source)
        self._conn = conn
        self._params: Params = ()
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def is_closed(self) -> bool:
        return self._closed or self.broken or bool(self._conn.is_closed())

    async def _stream(
        self, sql: str, params: Params, batch_size: int
    ) -> AsyncIterator[pa.RecordBatch]:
        await self._settle()
        self._idle.clear()
        try:
            # Closed at once when our consumer stops, not whenever the GC gets to
            # it: closing is what cancels the statement on the server.
            async with contextlib.aclosing(
                self._run_stream(sql, params, batch_size)
            ) as run:
                async for batch in run:
                    yield batch
        finally:
            self._idle.set()

    async def _settle(self) -> None:
        """Wait for a stream its consumer abandoned (``break``) to finish closing.

        An abandoned generator closes in a task of its own, started by the event
        loop's garbage-collection hook; the next statement must not overlap it.
        """
        if self._idle.is_set():
            return
        try:
            await asyncio.wait_for(self._idle.wait(), 2 * _CANCEL_TIMEOUT + 1)
        except TimeoutError:
            raise QueryError(
                "a stream on this connection is still open: exhaust or aclose() it "
                "before the next statement",
                source=self.name,
            ) from None

    async def _run_stream(
        self, sql: str, params: Params, batch_size: int
    ) -> AsyncGenerator[pa.RecordBatch]:
        import pyarrow as pa

        self._params = params
        stmt = await self._conn.prepare(sql)
        expected = len(stmt.get_parameters())
        if expected != len(params):
            raise QueryError(
                f"the statement takes {expected} parameters, {len(params)} given",
                source=self.name,
                sql=sql,
            )
        columns = _columns(stmt)
        schema = _schema(columns)
        if not columns:
            await stmt.fetch(*params)
            yield pa.RecordBatch.from_pylist([], schema=schema)
        else:
            if _is_copyable(sql):
                body = await self._inline_params(sql, stmt, params) if params else sql
                inner = self._copy_stream(
                    _copy_sql(body, columns), columns, schema, batch_size
                )
            else:
                inner = self._record_stream(stmt, params, columns, schema, batch_size)
            async with contextlib.aclosing(inner):
                async for batch in inner:
                    yield batch

    async def _inline_params(self, sql: str, stmt: Any, params: Params) -> str:
        # COPY takes no bound parameters: the server renders each value as a
        # literal of the parameter's own type, so the text never needs our quoting.
        refs = [_type_ref(t) for t in stmt.get_parameters()]
        rendered = ", ".join(
            f"quote_nullable(${i}::{ref}::text)" for i, ref in enumerate(refs, start=1)
        )
        row = await self._conn.fetchrow(f"SELECT {rendered}", *params)
        return _substitute_params(
            sql, [f"({lit}::{ref})" for lit, ref in zip(row, refs, strict=True)]
        )

    async def _copy_stream(
        self,
        copy_sql: str,
        columns: Sequence[_Column],
        schema: pa.Schema,
        batch_size: int,
    ) -> AsyncGenerator[pa.RecordBatch]:
        import pyarrow as pa

        pipe = _Pipe(
            asyncio.get_running_loop(), limit=_PIPE_BYTES, ready_at=_INLINE_BYTES
        )

        async def produce() -> None:
            try:
                await self._conn.copy_from_query(
                    copy_sql, output=pipe.write_chunk, format="text"
                )
            finally:
                pipe.finish()

        producer = asyncio.create_task(produce())
        try:
            await pipe.ready.wait()
            if producer.done():
                producer.result()  # the COPY's own error, if any
                data = pipe.drain()
                if not data:
                    yield pa.RecordBatch.from_pylist([], schema=schema)
                    return
                reader = _CopyReader(io.BytesIO(data), columns, schema, threads=False)
                while (batch := reader.next_batch(batch_size)) is not None:
                    yield batch
                return
            reader = await run_interruptible(
                lambda: _CopyReader(pipe, columns, schema, threads=True),
                interrupt=pipe.abort,
            )
            read = functools.partial(reader.next_batch, batch_size)
            while True:
                try:
                    batch = await run_interruptible(read, interrupt=pipe.abort)
                except pa.ArrowException:
                    # A failed COPY leaves its text cut short: report the cause.
                    if producer.done() and not producer.cancelled():
                        producer.result()
                    raise
                if reader.exhausted:
                    await producer  # an error after the last full row still counts
                if batch is None:
                    return
                yield batch
        finally:
            with anyio.CancelScope(shield=True):
                await self._stop_copy(pipe, producer)

    async def _stop_copy(self, pipe: _Pipe, producer: asyncio.Task[None]) -> None:
        """End the COPY, cancelling it on the server when still running.

        Neither cancelling asyncpg's task nor failing its sink is safe once rows
        flow: COPY data that arrives after asyncpg's cancel request passes for its
        acknowledgement, and the protocol is left mid-COPY. So the sink swallows
        the rest, the server is asked out of band to cancel, and the COPY ends
        the normal way, with the server's "canceling statement" error.
        """
        pipe.abort()
        if not producer.done():
            with contextlib.suppress(Exception):  # whatever fails, we hang up below
                await asyncio.wait_for(self._cancel_on_server(), _CANCEL_TIMEOUT)
                await asyncio.wait([producer], timeout=_CANCEL_TIMEOUT)
        if not producer.done():  # no answer: hang up, and the server stops too
            self.broken = True
            self._conn.terminate()
            await asyncio.wait([producer])
        if not producer.cancelled():
            producer.exception()  # retrieved: no "never retrieved" warning

    async def _cancel_on_server(self) -> None:
        """Send PostgreSQL a CancelRequest for this session's running statement."""
        # asyncpg's own CancelRequest helper, without the protocol bookkeeping
        # that misfires during COPY. Returns once the server has taken it.
        from asyncpg import connect_utils

        conn = self._conn
        await connect_utils._cancel(
            loop=conn._loop,
            addr=conn._addr,
            params=conn._params,
            backend_pid=conn._protocol.backend_pid,
            backend_secret=conn._protocol.backend_secret,
        )

    async def _record_stream(
        self,
        stmt: Any,
        params: Params,
        columns: Sequence[_Column],
        schema: pa.Schema,
        batch_size: int,
    ) -> AsyncGenerator[pa.RecordBatch]:
        # asyncpg cursors need a transaction; without the caller's we open our own,
        # committed like autocommit would (also when the consumer stops early).
        own = not self._conn.is_in_transaction()
        if own:
            await self._conn.execute("BEGIN")
        ending = "ROLLBACK"
        try:
            cursor = await stmt.cursor(*params)
            while True:
                rows = await cursor.fetch(batch_size)
                try:
                    yield _records_to_batch(rows, columns, schema)
                except GeneratorExit:
                    ending = "COMMIT"
                    raise
                if len(rows) < batch_size:
                    break
            ending = "COMMIT"
        finally:
            if own:
                with anyio.CancelScope(shield=True):
                    await self._conn.execute(ending)

    async def _execute(self, sql: str, params: Params) -> int:
        await self._settle()
        self._params = params
        return _affected(await self._conn.execute(sql, *params))

    async def _ping(self) -> None:
        await self._settle()
        await self._conn.execute("SELECT 1")

    async def _schemas(self) -> list[str]:
        await self._settle()
        return [r[0] for r in await self._conn.fetch(_SCHEMAS_SQL)]

    async def _catalog(self, schema: str | None) -> Catalog:
        await self._settle()
        name, tables = await self._conn.fetchrow(_CATALOG_SQL, schema)
        if name is None:
            raise QueryError(
                "no current schema: search_path names no existing schema",
                source=self.name,
            )
        return Catalog.of(name, (_table(name, t) for t in json.loads(tables or "[]")))

    async def _close(self) -> None:
        with contextlib.suppress(QueryError):
            await self._settle()
        if self.broken or self._conn.is_closed():
            self._conn.terminate()
            return
        try:
            await self._conn.close(timeout=5)
        except Exception:
            self._conn.terminate()

    def _map_error(self, exc: Exception, sql: str | None) -> ConnectorError | None:
        import asyncpg
        import pyarrow as pa

        if isinstance(exc, TimeoutError):
            if self._conn.is_closed():  # asyncpg gave up on a cancel and hung up
                return ConnectError("connection lost: timed out", sql=sql)
            return None  # a deadline's: the base class reports QueryTimeout
        if isinstance(exc, asyncpg.PostgresError):
            state = exc.sqlstate or ""
            text = self._masked(
                f"{exc.message} (SQLSTATE {state})" if state else str(exc)
            )
            if state.startswith("08") or state in _TRANSIENT_CONNECT:
                return ConnectError(f"connection lost: {text}", sql=sql, transient=True)
            if state == "57014" and "statement timeout" in exc.message:
                # The server's own statement_timeout (a server_settings option).
                return QueryTimeout(text, sql=sql)
            return QueryError(text, sql=sql, transient=state in _TRANSIENT_QUERY)
        if isinstance(exc, OSError):
            return ConnectError(f"connection lost: {exc}", sql=sql, transient=True)
        if isinstance(exc, asyncpg.InterfaceError) and self._conn.is_closed():
            return ConnectError(f"connection lost: {exc}", sql=sql, transient=True)
        if isinstance(exc, asyncpg.exceptions.InternalClientError):
            # The protocol lost track of the session (seen as the server drops it).
            return ConnectError(
                f"connection out of step: {exc}", sql=sql, transient=True
            )
        if isinstance(exc, asyncpg.InterfaceError):
            text = str(exc)
            if isinstance(exc, ValueError):  # a bad argument: its value is quoted
                text = text.split(":", 1)[0] + " (value not shown)"
            return QueryError(self._masked(text), sql=sql)
        if isinstance(exc, pa.ArrowException | ValueError):
            text = self._masked(str(exc))
            return QueryError(f"cannot convert the result to Arrow: {text}", sql=sql)
        return None

    def _masked(self, text: str) -> str:
        # A server message can quote a bound value (invalid input syntax: "..."):
        # keep parameters out of messages.
        for value in self._params:
            shown = str(value)
            if len(shown) >= 3:
                text = text.replace(shown, "***")
        return text


def _connect_args(source: DataSource) -> dict[str, Any]:
    """asyncpg.connect() arguments: a DSN without password, the password apart.

    >>> from sqltest_core.config import DataSource
    >>> args = _connect_args(DataSource(url="postgres://app:pw1@db:5433/wh?sslmode=disable"))
    >>> args["dsn"], args["password"], args["server_settings"]["DateStyle"]
    ('postgresql://app@db:5433/wh?sslmode=disable', 'pw1', 'ISO, YMD')
    """
    url = source.effective_url
    options = dict(source.options)
    settings = {**options.pop("server_settings", {}), **SESSION_SETTINGS}
    bare = dataclasses.replace(url, scheme="postgresql", driver=None, password=None)
    args: dict[str, Any] = {
        "dsn": bare.render(),
        "timeout": options.pop("timeout", CONNECT_TIMEOUT),
        "server_settings": settings,
        **options,
    }
    if url.password:
        args["password"] = url.password.reveal()
    return args


class PostgresConnector(BaseConnector):
    """Opens asyncpg sessions to a ``postgresql://`` (or ``postgres://``) data source.

    ``DataSource.options`` go to ``asyncpg.connect`` (``server_settings``,
    ``timeout``, ``ssl``, ``statement_cache_size``, ...).
    """

    name: ClassVar[str] = "postgres"
    dialect: ClassVar[str] = "postgres"
    paramstyle: ClassVar[ParamStyle] = "numeric"

    async def connect(self) -> PostgresConnection:
        asyncpg = import_driver("asyncpg", extra="postgres", source=self._source.name)
        where = str(self._source.url)
        try:
            conn = await asyncpg.connect(**_connect_args(self._source))
        except OSError as exc:  # refused, reset, unreachable, timed out
            raise ConnectError(
                f"cannot connect to {where}: {exc or type(exc).__name__}",
                source=self._source.name,
                transient=True,
            ) from exc
        except asyncpg.PostgresError as exc:
            state = exc.sqlstate or ""
            raise ConnectError(
                f"cannot connect to {where}: {exc.message} (SQLSTATE {state})",
                source=self._source.name,
                transient=state.startswith("08") or state in _TRANSIENT_CONNECT,
            ) from exc
        except asyncpg.InterfaceError as exc:
            raise ConnectError(
                f"cannot connect to {where}: {exc}",
                source=self._source.name,
                transient=False,
            ) from exc
        try:
            await conn.set_type_codec(
                "interval",
                schema="pg_catalog",
                encoder=_encode_interval,
                decoder=_decode_interval,
                format="tuple",
            )
            for name in _TEXT_CODECS:
                await conn.set_type_codec(
                    name, schema="pg_catalog", encoder=str, decoder=str
                )
        except BaseException:
            conn.terminate()
            raise
        return PostgresConnection(self._source, conn)
