"""Coverage of a schema by the SQL that tests and rules ran."""

from __future__ import annotations

from pathlib import Path

from sqltest_core import Pools
from sqltest_core.config import DataSource
from sqltest_core.results import RuleResult
from sqltest_core.testing import (
    Expect,
    Fixture,
    SQLTest,
    measure_coverage,
    run_tests,
)


async def test_coverage_of_a_duckdb_schema_after_a_run(tmp_path: Path) -> None:
    source = DataSource(name="db", url=f"duckdb:///{tmp_path / 'cov.duckdb'}")
    async with Pools({"db": source}) as pools:
        pool = await pools.get("db")
        await pool.execute("CREATE TABLE orders (id INT, customer_id INT, amount INT)")
        await pool.execute("CREATE TABLE customers (id INT, name TEXT, email TEXT)")
        await pool.execute("CREATE TABLE audit (logged TIMESTAMP)")
        await pool.execute("CREATE VIEW big AS SELECT * FROM orders WHERE amount > 10")
        tests = [
            SQLTest(
                name="per customer",
                sql="SELECT c.name, SUM(o.amount) AS total FROM orders o "
                "JOIN customers c ON c.id = o.customer_id GROUP BY c.name",
                fixtures=(
                    Fixture("orders", rows=[{"id": 1, "customer_id": 1, "amount": 5}]),
                    Fixture(
                        "customers", rows=[{"id": 1, "name": "ann", "email": "a@x"}]
                    ),
                ),
                expect=Expect(rows=[{"name": "ann", "total": 5}], columns=["total"]),
            ),
            SQLTest(
                name="star",
                sql="SELECT * FROM big",
                expect=Expect(row_count=0),
            ),
        ]
        run = await run_tests(tests, pools, sweep_stale=False)
        assert run.counts == {"passed": 2}
        catalog = await pool.catalog()
    rule = RuleResult(
        rule_id="orders.id_unique",
        status="passed",
        kind="unique",
        sql=("SELECT id, COUNT(*) FROM orders GROUP BY id HAVING COUNT(*) > 1",),
    )
    cov = measure_coverage([*run.results, rule], catalog, dialect="duckdb")
    assert cov.tables == ("audit", "big", "customers", "orders")
    assert cov.tables_read == ("big", "customers", "orders")
    assert cov.uncovered_tables == ("audit",)
    assert cov.columns_read == (  # in catalog order
        "big.id",
        "big.customer_id",
        "big.amount",
        "customers.id",
        "customers.name",
        "orders.id",
        "orders.customer_id",
        "orders.amount",
    )
    assert cov.uncovered_columns == ("audit.logged", "customers.email")
    assert (cov.table_percent, cov.column_percent) == (75.0, 80.0)
    assert cov.outputs == (
        "per customer: name",
        "per customer: total",
        "star: id",
        "star: customer_id",
        "star: amount",
    )
    assert cov.outputs_asserted == ("per customer: total",)
    assert cov.asserted_percent == 20.0
    assert cov.to_dict() == {
        "schema": "main",
        "table_percent": 75.0,
        "column_percent": 80.0,
        "asserted_percent": 20.0,
        "uncovered_tables": ["audit"],
        "uncovered_columns": ["audit.logged", "customers.email"],
    }


def test_unparsable_sql_counts_nothing() -> None:
    from sqltest_core.connectors import Catalog, Column, Table

    catalog = Catalog.of(
        "s", [Table("s", "t", "table", (Column("x", "int", True, 0),))]
    )
    result = RuleResult(rule_id="r", status="passed", sql=("SELEC nonsense ((",))
    cov = measure_coverage([result], catalog, dialect="postgres")
    assert (cov.tables_read, cov.columns_read, cov.table_percent) == ((), (), 0.0)
