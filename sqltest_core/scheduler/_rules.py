"""Rules as scheduler tasks: ready rules of one table share one fused scan."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqltest_core.errors import ConfigError
from sqltest_core.scheduler._dag import BatchTask, RunContext
from sqltest_core.scheduler._executor import LocalExecutor, OnFailure

if TYPE_CHECKING:
    from sqltest_core.cache import QueryCache
    from sqltest_core.connectors import Pools
    from sqltest_core.results import RuleResult, RunResult
    from sqltest_core.rules import BaseRule
    from sqltest_core.scheduler._events import Listener

__all__ = ["RuleTask", "run_rules"]


@dataclass(frozen=True, slots=True)
class RuleTask:
    """A rule as a :class:`~sqltest_core.scheduler.BatchTask`.

    Its ``batch_key`` is its data source and table, so rules of one table that
    are ready at the same time are checked by one
    :func:`~sqltest_core.rules.evaluate` call: one aggregate scan.

    Attributes:
        rule: The rule to check.
        source: Data source it runs on (the rule's own, or the run's default).
        timeout: Seconds its batch may take; None for the executor's default.
        sample_size: Failing rows to fetch when it fails.
        cache: Query results to reuse (see :class:`~sqltest_core.cache.QueryCache`).
        bad_values_limit: Distinct bad values an ``accepted_values`` rule lists.
    """

    rule: BaseRule
    source: str
    timeout: float | None = None
    sample_size: int = 5
    cache: QueryCache | None = None
    bad_values_limit: int = 20

    @property
    def id(self) -> str:
        """The rule's id."""
        return self.rule.id

    @property
    def depends_on(self) -> tuple[str, ...]:
        """The rule's dependencies."""
        return self.rule.depends_on

    @property
    def result_fields(self) -> dict[str, object]:
        """What a result says of the rule even when it never ran (skipped)."""
        rule = self.rule
        return {
            "kind": rule.kind,
            "description": rule.description,
            "severity": rule.severity,
            "table": rule.table,
            "column": getattr(rule, "column", None),
            "tags": rule.tags,
        }

    @property
    def batch_key(self) -> Hashable:
        """Data source, table and sampling: what one scan can share."""
        return (self.source, self.rule.table, self.sample_size, self.bad_values_limit)

    async def run(self, ctx: RunContext) -> RuleResult:
        """Check the rule alone."""
        (result,) = await self.run_batch([self], ctx)
        return result

    async def run_batch(
        self, tasks: Sequence[BatchTask], ctx: RunContext
    ) -> list[RuleResult]:
        """Check the rules of ``tasks`` (all on this table) in one scan."""
        from sqltest_core.rules import evaluate  # sqlglot loads on first use

        rules = [t.rule for t in tasks if isinstance(t, RuleTask)]
        if len(rules) != len(tasks):
            raise TypeError("a RuleTask batch holds only RuleTasks")
        pool = await ctx.pools.get(self.source)
        return await evaluate(
            rules,
            pool,
            pools=ctx.pools,
            cache=self.cache,
            sample_size=self.sample_size,
            bad_values_limit=self.bad_values_limit,
        )


async def run_rules(
    rules: Iterable[BaseRule],
    pools: Pools,
    *,
    source: str | None = None,
    max_concurrency: int = 8,
    on_failure: OnFailure = "skip",
    timeout: float | None = None,
    rule_timeout: float | None = None,
    max_batch: int = 256,
    sample_size: int = 5,
    bad_values_limit: int = 20,
    cache: QueryCache | None = None,
    listeners: Sequence[Listener] = (),
    run_id: str | None = None,
) -> RunResult:
    """Run rules in dependency order, each table's ready rules in one scan.

    A rule starts once all its ``depends_on`` have finished; rules of one data
    source and table that are ready together are checked by one
    :func:`~sqltest_core.rules.evaluate` call (one aggregate query, a broken
    rule isolated from the others). Tables and data sources run concurrently
    within ``max_concurrency`` and each pool's ``max_size``.

    Args:
        rules: The rules; their ``depends_on`` must form a DAG.
        pools: Pools of the data sources the rules name.
        source: Data source of rules that name none; defaults to the only
            configured one.
        max_concurrency: Scans (batches) running at once, over all sources.
        on_failure: Dependents of a rule that did not pass (``warned`` counts
            as passed): ``"skip"`` them, or ``"run"`` them anyway.
        timeout: Seconds for the whole run; see :meth:`LocalExecutor.run`.
        rule_timeout: Seconds a scan may take; its rules error when it passes.
        max_batch: Most rules fused into one scan.
        sample_size: Failing rows to fetch per failed rule.
        bad_values_limit: Distinct bad values to list per failed
            ``accepted_values`` rule (0: none, and no query for them).
        cache: Reuse query results kept here for its TTL (rules with
            ``cache: false`` always query); hits show as ``cache_hit``.
        listeners: Receive progress events (one ``TaskFinished`` per rule).
        run_id: Identifier of the run; random when omitted.

    Returns:
        One result per rule, in the order given.

    Raises:
        ConfigError: A rule's data source is not configured, or a rule names
            none and there is no single default.
        RuleDefinitionError: Duplicate ids or an unknown dependency.
        DependencyCycleError: The dependencies form a cycle.
    """
    default = source
    if default is None and len(pools.sources) == 1:
        (default,) = pools.sources
    tasks: list[RuleTask] = []
    for rule in rules:
        name = rule.source or default
        if name is None:
            raise ConfigError(
                f"rule {rule.id!r} names no data source and there is no default: "
                f"pass source= (configured: {', '.join(pools.names) or 'none'})"
            )
        if name not in pools.sources:
            raise ConfigError(
                f"rule {rule.id!r} is for data source {name!r}, which is not "
                f"configured (configured: {', '.join(pools.names) or 'none'})"
            )
        tasks.append(
            RuleTask(rule, name, rule_timeout, sample_size, cache, bad_values_limit)
        )
    executor = LocalExecutor(
        max_concurrency=max_concurrency,
        on_failure=on_failure,
        listeners=listeners,
        max_batch=max_batch,
    )
    return await executor.run(tasks, pools, run_id=run_id, timeout=timeout)
