"""Data-source URLs: ``scheme[+driver]://user:password@host:port/database?k=v``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

from sqltest_core._secrets import MASK, Secret

__all__ = ["URL"]

_MEMORY = ":memory:"


@dataclass(frozen=True, slots=True)
class URL:
    """A parsed data-source URL whose password never shows in ``str`` or ``repr``.

    File engines follow the SQLAlchemy convention: ``sqlite:///rel.db`` is relative
    and ``sqlite:////abs/path.db`` absolute; ``duckdb://:memory:`` (or plain
    ``duckdb://``) is an in-memory database.

    >>> u = URL.parse("mysql+asyncmy://app:s3cret@127.0.0.1:3306/test?charset=utf8mb4")
    >>> u.scheme, u.driver, u.host, u.port, u.database, dict(u.query)
    ('mysql', 'asyncmy', '127.0.0.1', 3306, 'test', {'charset': 'utf8mb4'})
    >>> str(u)
    'mysql+asyncmy://app:***@127.0.0.1:3306/test?charset=utf8mb4'
    """

    scheme: str
    driver: str | None = None
    username: str | None = None
    password: Secret | None = None
    host: str | None = None
    port: int | None = None
    database: str | None = None
    query: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def parse(cls, text: str) -> URL:
        """Parse ``text``; a malformed URL raises ``ValueError`` saying why."""
        if "://" not in text:
            raise ValueError(
                "expected a URL such as 'duckdb:///file.db' or "
                "'postgresql://user@host:5432/db'"
            )
        head, _, rest = text.partition("://")
        scheme, _, driver = head.lower().partition("+")
        if not scheme.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"bad URL scheme {head!r}")
        if rest in ("", _MEMORY, "/" + _MEMORY) or rest.startswith(_MEMORY + "?"):
            query = rest.partition("?")[2]
            return cls(scheme, driver or None, database=_MEMORY, query=_query(query))
        parts = urlsplit(f"x://{rest}")
        try:
            port = parts.port
        except ValueError as exc:
            raise ValueError(f"bad port in URL: {exc}") from None
        path = (
            unquote(parts.path[1:])
            if parts.path.startswith("/")
            else unquote(parts.path)
        )
        return cls(
            scheme=scheme,
            driver=driver or None,
            username=unquote(parts.username) if parts.username else None,
            password=Secret(unquote(parts.password)) if parts.password else None,
            host=unquote(parts.hostname) if parts.hostname else None,
            port=port,
            database=path or None,
            query=_query(parts.query),
        )

    def with_password(self, password: str | Secret | None) -> URL:
        """A copy with another password."""
        if isinstance(password, str):
            password = Secret(password)
        return replace(self, password=password)

    def render(self, *, reveal: bool = False) -> str:
        """The URL as text; the password shows only with ``reveal=True``."""
        head = self.scheme + (f"+{self.driver}" if self.driver else "")
        auth = ""
        if self.username is not None:
            auth = quote(self.username, safe="")
            if self.password is not None:
                pw = quote(self.password.reveal(), safe="") if reveal else MASK
                auth += f":{pw}"
            auth += "@"
        host = self.host or ""
        if ":" in host:
            host = f"[{host}]"
        port = f":{self.port}" if self.port is not None else ""
        db = self.database or ""
        if db == _MEMORY and not (auth or host):
            path = _MEMORY
        else:
            path = f"/{quote(db, safe='/:')}" if db else ""
        query = f"?{urlencode(dict(self.query))}" if self.query else ""
        return f"{head}://{auth}{host}{port}{path}{query}"

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"URL({self.render()!r})"

    @classmethod
    def __get_pydantic_core_schema__(
        cls,
        source: Any,
        handler: GetCoreSchemaHandler,
    ) -> core_schema.CoreSchema:
        def coerce(value: object) -> URL:
            if isinstance(value, URL):
                return value
            if isinstance(value, str):
                return URL.parse(value)
            raise ValueError("expected a URL string")

        return core_schema.no_info_plain_validator_function(
            coerce, serialization=core_schema.plain_serializer_function_ser_schema(str)
        )


def _query(text: str) -> Mapping[str, str]:
    return MappingProxyType(dict(parse_qsl(text, keep_blank_values=True)))
