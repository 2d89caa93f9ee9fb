"""The one exception hierarchy of sqltest_core.

A failing rule or test is a *result*, never an exception; an exception means the
run itself could not do its job::

    SqltestError
    ├── ConfigError (also ValueError)
    │   ├── RuleDefinitionError
    │   └── DependencyCycleError
    ├── PluginError
    │   └── PluginNotFound (also LookupError)
    ├── ConnectorError
    │   ├── MissingDriver (also ImportError)
    │   ├── ConnectError (also ConnectionError)
    │   ├── QueryError
    │   ├── QueryTimeout (also TimeoutError)
    │   ├── PoolTimeout (also TimeoutError)
    │   └── UnsupportedFeature
    ├── NotInlinable
    │   └── FixtureTooLarge
    ├── DeliveryError
    ├── CircuitOpenError
    └── RetryExhausted

Context travels in attributes (``source``, ``sql``, ``file``, ``line``); bound
parameters and credentials never enter a message. Every message passes through
:func:`sqltest_core.redact`, so a password a driver echoes back is masked too.
"""

from __future__ import annotations

from sqltest_core._secrets import redact

__all__ = [
    "CircuitOpenError",
    "ConfigError",
    "ConnectError",
    "ConnectorError",
    "DeliveryError",
    "DependencyCycleError",
    "FixtureTooLarge",
    "MissingDriver",
    "NotInlinable",
    "PluginError",
    "PluginNotFound",
    "PoolTimeout",
    "QueryError",
    "QueryTimeout",
    "RetryExhausted",
    "RuleDefinitionError",
    "SqltestError",
    "UnsupportedFeature",
]

_SQL_PREVIEW = 200


class SqltestError(Exception):
    """Base of every error sqltest_core raises on purpose.

    Args:
        message: What went wrong and, where it helps, what was expected.
        source: Name of the data source involved, if any.
        sql: The statement involved, if any (never its parameters).

    Attributes:
        transient: True when retrying may succeed; retry policies retry only
            these.
    """

    transient: bool = False

    def __init__(
        self, message: str, *, source: str | None = None, sql: str | None = None
    ) -> None:
        self.message = redact(message)
        self.source = source
        self.sql = redact(sql) if sql is not None else None
        super().__init__(self.message)

    def __str__(self) -> str:
        parts = [f"[{self.source}] {self.message}" if self.source else self.message]
        if self.sql:
            sql = " ".join(self.sql.split())
            if len(sql) > _SQL_PREVIEW:
                sql = sql[: _SQL_PREVIEW - 3] + "..."
            parts.append(f"SQL: {sql}")
        return "\n".join(parts)


class ConfigError(SqltestError, ValueError):
    """A user's configuration is wrong; the message names file, line and key.

    Args:
        message: What is wrong and what was expected.
        file: Configuration file, if the error came from one.
        line: 1-based line in ``file``.
        key: Dotted path of the offending key (``data_sources.pg.pool.max_size``).
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        key: str | None = None,
        source: str | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.key = key
        where = ":".join(str(p) for p in (file, line) if p is not None)
        prefix = ": ".join(p for p in (where, key) if p)
        super().__init__(f"{prefix}: {message}" if prefix else message, source=source)


class RuleDefinitionError(ConfigError):
    """A rule is declared wrongly (unknown kind, missing argument, bad column)."""


class DependencyCycleError(ConfigError):
    """Rules depend on each other in a cycle; ``cycle`` lists the rule ids."""

    def __init__(self, cycle: list[str], **kwargs: object) -> None:
        self.cycle = cycle
        super().__init__("dependency cycle: " + " -> ".join(cycle), **kwargs)  # type: ignore[arg-type]


class PluginError(SqltestError):
    """A plug-in could not be loaded, does not fit its Protocol, or is claimed twice."""


class PluginNotFound(PluginError, LookupError):
    """No plug-in has the requested name; the message suggests the closest one."""


class ConnectorError(SqltestError):
    """A database could not do what was asked.

    ``transient`` errors: connection refused or reset, server restarting,
    serialization failure, deadlock.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        sql: str | None = None,
        transient: bool | None = None,
    ) -> None:
        super().__init__(message, source=source, sql=sql)
        if transient is not None:
            self.transient = transient


class MissingDriver(ConnectorError, ImportError):
    """The driver of an engine is not installed; the message names the extra."""


class ConnectError(ConnectorError, ConnectionError):
    """A connection could not be opened or was lost."""

    transient = True


class QueryError(ConnectorError):
    """The database rejected or failed a statement."""


class QueryTimeout(ConnectorError, TimeoutError):
    """A statement ran past its timeout and was cancelled on the server."""


class PoolTimeout(ConnectorError, TimeoutError):
    """No pooled connection became free within the acquire timeout."""


class UnsupportedFeature(ConnectorError):
    """The engine lacks a feature (for example savepoints on DuckDB)."""


class CircuitOpenError(SqltestError):
    """A data source failed repeatedly; calls fail fast until its cool-down ends."""

    def __init__(self, message: str, *, source: str | None, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(message, source=source)


class RetryExhausted(SqltestError):
    """A transient failure persisted through every retry; chained to the last one."""

    def __init__(self, message: str, *, source: str | None, attempts: int) -> None:
        self.attempts = attempts
        super().__init__(message, source=source)


class NotInlinable(SqltestError):
    """A fixture cannot be written into the statement as literal rows.

    The caller falls back to a temporary table for the fixtures named in
    ``tables`` (see :func:`sqltest_core.testing.mock_tables`).

    Attributes:
        tables: Fixture names that could not be inlined.
    """

    def __init__(self, message: str, *, tables: tuple[str, ...]) -> None:
        self.tables = tables
        super().__init__(message)


class FixtureTooLarge(NotInlinable):
    """The fixtures hold more cells than one statement may inline.

    Nothing was rewritten. The caller loads some fixtures (largest first, from
    ``sizes``) into temporary tables, then calls :func:`mock_tables` again with
    those fixtures given as the temporary table's name (a ``str``) instead of
    rows.

    Attributes:
        sizes: Cells (rows times columns) of each inlined fixture.
        limit: The ``max_cells`` in force.
        tables: Fixture names, largest first.
    """

    def __init__(self, sizes: dict[str, int], *, limit: int) -> None:
        self.sizes = sizes
        self.limit = limit
        ranked = tuple(sorted(sizes, key=lambda name: -sizes[name]))
        listed = ", ".join(f"{name} ({sizes[name]})" for name in ranked)
        super().__init__(
            f"fixtures hold {sum(sizes.values())} cells, over the {limit} one "
            f"statement may inline: {listed}; use temporary tables",
            tables=ranked,
        )


class DeliveryError(SqltestError):
    """A delivery target (webhook, Slack, SMTP) could not take the report.

    Attributes:
        status: The HTTP status or SMTP reply code, when there was one.
        retry_after: Seconds the receiver asked to wait (HTTP ``Retry-After``).
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        transient: bool = False,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, source=source)
        self.transient = transient
        self.status = status
        self.retry_after = retry_after
