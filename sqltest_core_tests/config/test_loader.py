from __future__ import annotations

from pathlib import Path

import pytest

from sqltest_core import ConfigError, Secret, load_settings
from sqltest_core.config import URL, DataSource, Settings

GOOD = """\
logging:
  format: json
data_sources:
  warehouse:
    url: postgresql://app:${PG_PASSWORD}@127.0.0.1:5432/test
    pool:
      max_size: 4
  local:
    url: 'duckdb://:memory:'
    statement_timeout: ${TIMEOUT:-30}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sqltest.yml"
    path.write_text(text)
    return path


def test_settings_load_with_interpolation(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, GOOD), env={"PG_PASSWORD": "s3cr3t-pw"})
    wh = settings.data_sources["warehouse"]
    assert wh.name == "warehouse"
    assert wh.pool.max_size == 4
    assert wh.url.password == Secret("s3cr3t-pw")
    assert settings.data_sources["local"].statement_timeout == 30.0
    assert settings.logging.format == "json"
    assert "s3cr3t-pw" not in repr(settings)
    assert "s3cr3t-pw" not in settings.model_dump_json()


def test_missing_variable_names_file_line_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={})
    err = info.value
    assert (err.file, err.line, err.key) == (str(path), 5, "data_sources.warehouse.url")
    assert "PG_PASSWORD is not set" in str(err)
    assert str(err).startswith(f"{path}:5: data_sources.warehouse.url:")


def test_wrong_type_names_line_and_expectation(tmp_path: Path) -> None:
    text = "data_sources:\n  pg:\n    url: duckdb://\n    pool:\n      max_size: lots\n"
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text), env={})
    assert info.value.line == 5
    assert info.value.key == "data_sources.pg.pool.max_size"
    assert "valid integer" in str(info.value)
    assert "'lots'" in str(info.value)


def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    text = "data_sources:\n  pg:\n    url: duckdb://\n    pool:\n      max_sise: 3\n"
    with pytest.raises(
        ConfigError, match=r"unknown key; did you mean 'max_size'\?"
    ) as info:
        load_settings(write(tmp_path, text), env={})
    assert info.value.line == 5


def test_several_problems_are_reported_together(tmp_path: Path) -> None:
    text = "data_sources:\n  a:\n    url: duckdb://\n    batch_size: 0\n  b: {}\n"
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text), env={})
    message = str(info.value)
    assert "2 problems" in message
    assert ":4: data_sources.a.batch_size" in message
    assert ":5: data_sources.b.url: Field required" in message


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    text = "data_sources:\n  a:\n    url: [unclosed\n  b: 1\n"
    with pytest.raises(ConfigError, match="invalid YAML") as info:
        load_settings(write(tmp_path, text), env={})
    assert info.value.file == str(tmp_path / "sqltest.yml")
    assert info.value.line == 4


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read configuration"):
        load_settings(tmp_path / "nope.yml")


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_settings(write(tmp_path, "- a\n- b\n"), env={})


def test_empty_file_gives_default_settings(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path, ""), env={}) == Settings()


def test_password_field_overrides_url_and_stays_hidden() -> None:
    ds = DataSource(url="postgresql://app@h/db", password="hidden-pw-1")
    assert ds.effective_url.password is not None
    assert ds.effective_url.password.reveal() == "hidden-pw-1"
    assert "hidden-pw-1" not in repr(ds) + str(ds.effective_url) + ds.model_dump_json()


def test_pool_sizes_are_checked() -> None:
    with pytest.raises(ValueError, match="min_size"):
        DataSource(url="duckdb://", pool={"min_size": 5, "max_size": 2})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("duckdb://:memory:", ("duckdb", None, ":memory:")),
        ("duckdb://", ("duckdb", None, ":memory:")),
        ("duckdb:///rel/x.db", ("duckdb", None, "rel/x.db")),
        ("duckdb:////abs/x.db", ("duckdb", None, "/abs/x.db")),
        ("sqlite:///x.db", ("sqlite", None, "x.db")),
        ("mysql+aiomysql://root@127.0.0.1/test", ("mysql", "aiomysql", "test")),
        ("postgresql://u:p%40ss@[::1]:5433/db", ("postgresql", None, "db")),
    ],
)
def test_url_forms(text: str, expected: tuple[str, str | None, str]) -> None:
    url = URL.parse(text)
    assert (url.scheme, url.driver, url.database) == expected
    assert URL.parse(url.render(reveal=True)) == url


def test_url_password_is_decoded_and_masked() -> None:
    url = URL.parse("postgresql://u:p%40ss-word@[::1]:5433/db")
    assert url.password is not None and url.password.reveal() == "p@ss-word"
    assert (url.host, url.port) == ("::1", 5433)
    assert str(url) == "postgresql://u:***@[::1]:5433/db"
    assert "p@ss" not in repr(url)


@pytest.mark.parametrize("bad", ["not a url", "post gres://x", "pg://h:notaport/db"])
def test_bad_urls_are_explained(bad: str) -> None:
    with pytest.raises(ValueError, match=r"URL|port|scheme"):
        URL.parse(bad)
