"""Autocommit by default; BEGIN/COMMIT/ROLLBACK and savepoints on InnoDB."""

from __future__ import annotations

import pytest

from sqltest_core.connectors import open_pool

from .harness import scratch


class Boom(Exception):
    pass


async def test_autocommit_is_on_outside_transactions() -> None:
    async with scratch(pool={"min_size": 2, "max_size": 2}) as source:
        async with open_pool(source) as db:
            await db.execute("CREATE TABLE t (i INT) ENGINE=InnoDB")
            async with db.acquire() as writer, db.acquire() as reader:
                await writer.execute("INSERT INTO t VALUES (1)")
                rows = [b async for b in reader.stream("SELECT COUNT(*) AS n FROM t")]
                assert rows[0].to_pylist() == [{"n": 1}]


async def test_commit_rollback_and_savepoint_rollback() -> None:
    async with scratch() as source, open_pool(source) as db:
        await db.execute("CREATE TABLE t (i INT) ENGINE=InnoDB")
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(Boom):
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO t VALUES (2)")
                raise Boom
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO t VALUES (3)")
            with pytest.raises(Boom):
                async with conn.transaction():
                    await conn.execute("INSERT INTO t VALUES (4)")
                    raise Boom
            async with conn.transaction():
                await conn.execute("INSERT INTO t VALUES (5)")
        table = await db.fetch_arrow("SELECT i FROM t ORDER BY i")
        assert table.column("i").to_pylist() == [1, 3, 5]
