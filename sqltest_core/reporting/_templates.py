"""The jinja2 environment shared by the Markdown and HTML reporters.

Templates live in package data (``sqltest_core/reporting/templates``); a user's
``template_dir`` is searched first, so one file can be overridden at a time.
"""

from __future__ import annotations

import html
import os
import re
from typing import TYPE_CHECKING

from sqltest_core.reporting._summary import fmt_ms, fmt_ratio, fmt_time, fmt_value

if TYPE_CHECKING:
    import jinja2

__all__ = ["environment", "md_escape"]

# Inline markup only: data never starts a line, so block markers (#, -, 1.) are inert.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md_escape(value: object) -> str:
    """Text safe in a Markdown paragraph or table cell: no HTML, no markup.

    >>> md_escape("<b>a|b</b>_x")
    '&lt;b&gt;a\\\\|b&lt;/b&gt;\\\\_x'
    """
    text = html.escape(fmt_value(value), quote=True)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return text.replace("\r\n", "\n").replace("\n", "<br>")


def environment(
    template_dir: str | os.PathLike[str] | None, *, autoescape: bool
) -> jinja2.Environment:
    """A jinja2 environment over ``template_dir`` then the built-in templates."""
    import jinja2

    loaders: list[jinja2.BaseLoader] = []
    if template_dir is not None:
        loaders.append(jinja2.FileSystemLoader(os.fspath(template_dir)))
    loaders.append(jinja2.PackageLoader("sqltest_core.reporting", "templates"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        md=md_escape,
        value=fmt_value,
        ratio=fmt_ratio,
        ms=fmt_ms,
        when=fmt_time,
        pre=lambda v: html.escape(str(v), quote=False),
    )
    return env
