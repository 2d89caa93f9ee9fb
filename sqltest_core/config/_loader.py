"""Read YAML settings with line numbers, ``${VAR}`` interpolation and clear errors."""

from __future__ import annotations

import difflib
import os
import re
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from sqltest_core._secrets import redact
from sqltest_core.config._models import Settings
from sqltest_core.errors import ConfigError

if TYPE_CHECKING:
    import yaml

__all__ = ["interpolate", "load_settings", "load_yaml", "relabel", "validate"]

M = TypeVar("M", bound=BaseModel)
Path_ = tuple[str | int, ...]
_VAR = re.compile(
    r"\$(?:\$|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\})"
)


class Document:
    """Parsed YAML plus the line of every key, for error messages."""

    def __init__(self, data: Any, lines: dict[Path_, int], file: str) -> None:
        self.data = data
        self.lines = lines
        self.file = file

    def line_of(self, path: Path_) -> int | None:
        """Line of ``path``, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None

    def error(self, path: Path_, message: str) -> ConfigError:
        """A :class:`ConfigError` pointing at ``path``."""
        key = ".".join(str(p) for p in path) or None
        return ConfigError(message, file=self.file, line=self.line_of(path), key=key)


def load_yaml(
    source: str | os.PathLike[str],
    *,
    text: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Document:
    """Parse a YAML file (or ``text`` named ``source``) and interpolate variables."""
    file = os.fspath(source)
    if text is None:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"cannot read configuration: {exc.strerror}", file=file
            ) from None
    import yaml  # PyYAML loads with the first file read

    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else {}
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        raise ConfigError(
            f"invalid YAML: {problem}", file=file, line=mark.line + 1 if mark else None
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", file=file) from None
    finally:
        loader.dispose()
    lines: dict[Path_, int] = {}
    if node is not None:
        _record_lines(node, (), lines)
    doc = Document(data, lines, file)
    doc.data = _interpolate_tree(doc, data, (), os.environ if env is None else env)
    return doc


def _record_lines(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> None:
    import yaml

    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (
                key_node.value
                if isinstance(key_node, yaml.ScalarNode)
                else str(key_node)
            )
            lines[(*path, key)] = key_node.start_mark.line + 1
            _record_lines(value_node, (*path, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*path, index), lines)


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Replace ``${VAR}`` and ``${VAR:-default}``; ``$$`` is a literal ``$``.

    >>> interpolate("postgresql://app:${PW:-none}@db/${DB}", {"DB": "sales"})
    'postgresql://app:none@db/sales'
    """

    def sub(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, default = match["name"], match["default"]
        value = env.get(name)
        if value is None or (value == "" and default is not None):
            if default is None:
                raise KeyError(name)
            return default
        return value

    return _VAR.sub(sub, text)


def _interpolate_tree(
    doc: Document, value: Any, path: Path_, env: Mapping[str, str]
) -> Any:
    if isinstance(value, str):
        try:
            return interpolate(value, env)
        except KeyError as exc:
            raise doc.error(
                path,
                f"environment variable {exc.args[0]} is not set "
                f"(write ${{{exc.args[0]}:-default}} to give a default)",
            ) from None
    if isinstance(value, dict):
        return {k: _interpolate_tree(doc, v, (*path, k), env) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate_tree(doc, v, (*path, i), env) for i, v in enumerate(value)]
    return value


def validate(doc: Document, model: type[M], *, at: Path_ = ()) -> M:
    """Validate ``doc`` (the part at ``at``) against ``model``; errors name the line."""
    data: Any = doc.data
    for part in at:
        data = data[part]
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _config_error(doc, exc, at, model) from None


def _config_error(
    doc: Document, exc: ValidationError, at: Path_, model: type[BaseModel]
) -> ConfigError:
    problems = []
    first: ConfigError | None = None
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
        path = (*at, *loc)
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown key"
            allowed = _allowed_keys(model, loc[:-1])
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            if close:
                message += f"; did you mean {close[0]!r}?"
            elif allowed:
                message += f" (expected one of: {', '.join(allowed)})"
        elif err["type"] != "missing" and isinstance(
            err.get("input"), str | int | float | bool
        ):
            message += f", got {redact(repr(err['input']))}"
        error = doc.error(path, message)
        first = first or error
        problems.append(str(error))
    assert first is not None
    if len(problems) == 1:
        return first
    return ConfigError(
        f"{len(problems)} problems:\n  " + "\n  ".join(problems),
        file=doc.file,
        line=first.line,
        key=first.key,
    )


def _allowed_keys(model: object, loc: Path_) -> list[str]:
    """Field names of the model found at ``loc`` inside ``model``."""
    current: object = model
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            current = field.annotation if field else None
        else:
            args = typing.get_args(current)
            if typing.get_origin(current) is dict and len(args) == 2:
                current = args[1]
            elif typing.get_origin(current) is list and args:
                current = args[0]
            else:
                return []
        # Optional[X] and Annotated[X, ...] narrow to the model inside.
        if typing.get_origin(current) in (
            typing.Union,
            types.UnionType,
            typing.Annotated,
        ):
            for arg in typing.get_args(current):
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    current = arg
    if isinstance(current, type) and issubclass(current, BaseModel):
        return sorted(current.model_fields)
    return []


def load_settings(
    path: str | os.PathLike[str], *, env: Mapping[str, str] | None = None
) -> Settings:
    """Load ``sqltest.yml``-style settings from ``path``.

    Raises:
        ConfigError: naming file, line and key, for any mistake in the file.
    """
    doc = load_yaml(path, env=env)
    if doc.data is None:
        doc.data = {}
    if not isinstance(doc.data, dict):
        raise doc.error((), "expected a mapping with 'data_sources' and 'logging'")
    return validate(doc, Settings)


E = TypeVar("E", bound=ConfigError)


def relabel(exc: ConfigError, label: str, cls: type[E]) -> E:
    """``exc`` as ``cls``, its message led by ``label`` (``"rule 'x': "``).

    File, line and key stay; the message's own ``file:line: key:`` lead, which
    ``str()`` adds again, is dropped.
    """
    where = ":".join(str(p) for p in (exc.file, exc.line) if p is not None)
    prefix = ": ".join(p for p in (where, exc.key) if p)
    text = exc.message
    if prefix and text.startswith(prefix + ": "):
        text = text[len(prefix) + 2 :]
    return cls(label + text, file=exc.file, line=exc.line, key=exc.key)
