"""Pydantic models for settings: they validate YAML and are the Python API too."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    PlainValidator,
    model_validator,
)
from pydantic_core import core_schema

from sqltest_core._secrets import Secret
from sqltest_core.config._url import URL

__all__ = [
    "BreakerSettings",
    "DataSource",
    "LogSettings",
    "PoolSettings",
    "RetrySettings",
    "Settings",
]


class _SecretType:
    """Pydantic glue so that a ``Secret`` field accepts plain strings."""

    @classmethod
    def __get_pydantic_core_schema__(
        cls,
        source: Any,
        handler: GetCoreSchemaHandler,
    ) -> core_schema.CoreSchema:
        def coerce(value: object) -> Secret:
            if isinstance(value, Secret):
                return value
            if isinstance(value, str):
                return Secret(value)
            raise ValueError("expected a string")

        return core_schema.no_info_plain_validator_function(
            coerce, serialization=core_schema.plain_serializer_function_ser_schema(str)
        )


SecretField = Annotated[Secret, _SecretType]
"""A pydantic field holding a :class:`~sqltest_core.Secret` (given as a string)."""


class _Model(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", arbitrary_types_allowed=True, defer_build=True
    )


class PoolSettings(_Model):
    """Connection pool limits and health checks (seconds)."""

    min_size: int = Field(1, ge=0, description="Connections kept open when idle.")
    max_size: int = Field(10, ge=1, description="Connections open at most.")
    acquire_timeout: float = Field(
        30.0, gt=0, description="Wait for a free connection."
    )
    ping_after_idle: float = Field(
        5.0, ge=0, description="Ping a connection on checkout once idle this long."
    )
    health_check_interval: float = Field(
        30.0, gt=0, description="Ping idle connections this often; replace broken ones."
    )
    max_idle_time: float = Field(
        300.0, gt=0, description="Close connections beyond min_size idle this long."
    )

    @model_validator(mode="after")
    def _sizes(self) -> PoolSettings:
        if self.min_size > self.max_size:
            raise ValueError(
                f"min_size ({self.min_size}) exceeds max_size ({self.max_size})"
            )
        return self


class RetrySettings(_Model):
    """Retries of transient failures: exponential backoff with jitter (seconds)."""

    attempts: int = Field(5, ge=1, description="Tries in all, the first included.")
    initial_backoff: float = Field(0.1, ge=0)
    max_backoff: float = Field(5.0, ge=0)
    jitter: float = Field(
        0.1, ge=0, description="Random extra wait, at most this long."
    )
    deadline: float = Field(60.0, gt=0, description="Give up retrying after this long.")


class BreakerSettings(_Model):
    """Circuit breaker: open after consecutive failures, probe after the cool-down."""

    failure_threshold: int = Field(5, ge=1)
    cooldown: float = Field(30.0, gt=0)


class DataSource(_Model):
    """One database to connect to, with its pool, retry and breaker settings.

    >>> ds = DataSource(name="wh", url="postgresql://app:hunter2@127.0.0.1/test")
    >>> ds.url.host, ds.pool.max_size
    ('127.0.0.1', 10)
    >>> "hunter2" in repr(ds)
    False
    """

    name: str = "default"
    url: URL
    password: SecretField | None = Field(
        None, description="Overrides the URL's password (use ${ENV_VAR})."
    )
    options: dict[str, Any] = Field(
        default_factory=dict, description="Driver-specific connect arguments."
    )
    batch_size: int = Field(65_536, ge=1, description="Rows per Arrow record batch.")
    statement_timeout: float | None = Field(
        None, gt=0, description="Seconds a statement may run before it is cancelled."
    )
    metadata_ttl: float = Field(
        300.0, ge=0, description="Seconds catalog reads stay cached."
    )
    # Frozen models: one shared default instance is safe.
    pool: PoolSettings = PoolSettings()
    retry: RetrySettings = RetrySettings()
    breaker: BreakerSettings = BreakerSettings()

    @property
    def effective_url(self) -> URL:
        """The URL with :attr:`password` applied."""
        return self.url.with_password(self.password) if self.password else self.url


class LogSettings(_Model):
    """Logging output: human console lines or JSON lines."""

    format: Literal["console", "json"] = "console"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


def _delivery(value: object) -> object:
    # Validated on demand: the delivery package (reports, HTTP, SMTP) loads only
    # for settings that have a ``delivery:`` section. Nested errors keep their
    # location (``delivery.targets.0.url``).
    if value is None:
        return None
    from sqltest_core.delivery import DeliverySettings

    return DeliverySettings.model_validate(value)


if TYPE_CHECKING:
    from sqltest_core.delivery import DeliverySettings

    _Delivery: TypeAlias = DeliverySettings | None
else:
    _Delivery = Annotated[Any, PlainValidator(_delivery)]


class Settings(_Model):
    """Everything a ``sqltest.yml`` holds.

    >>> s = Settings(data_sources={"local": {"url": "duckdb://:memory:"}})
    >>> s.data_sources["local"].name
    'local'
    """

    data_sources: dict[str, DataSource] = Field(default_factory=dict)
    logging: LogSettings = LogSettings()
    delivery: _Delivery = None
    """Where reports go after a run (see :mod:`sqltest_core.delivery`)."""

    @model_validator(mode="before")
    @classmethod
    def _name_sources(cls, data: Any) -> Any:
        sources = data.get("data_sources") if isinstance(data, dict) else None
        if isinstance(sources, dict):
            data = {
                **data,
                "data_sources": {
                    key: {**value, "name": key} if isinstance(value, dict) else value
                    for key, value in sources.items()
                },
            }
        return data
