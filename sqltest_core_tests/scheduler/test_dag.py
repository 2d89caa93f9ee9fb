from __future__ import annotations

import pytest

from sqltest_core.errors import DependencyCycleError, RuleDefinitionError
from sqltest_core.scheduler import Task, plan
from sqltest_core_tests.scheduler._fakes import Fake


def test_fake_fits_the_task_protocol() -> None:
    assert isinstance(Fake("a"), Task)


def test_plan_groups_tasks_into_levels_in_given_order() -> None:
    tasks = [
        Fake("c", ("a", "b")),
        Fake("b"),
        Fake("a"),
        Fake("d", ("c",)),
        Fake("e", ("a",)),
    ]
    assert plan(tasks) == [["b", "a"], ["c", "e"], ["d"]]


def test_plan_of_nothing_is_empty() -> None:
    assert plan([]) == []


def test_repeated_dependency_counts_once() -> None:
    assert plan([Fake("a"), Fake("b", ("a", "a"))]) == [["a"], ["b"]]


def test_duplicate_ids_are_named() -> None:
    with pytest.raises(RuleDefinitionError) as info:
        plan([Fake("a"), Fake("b"), Fake("a")])
    assert str(info.value) == "duplicate rule id 'a'"


def test_unknown_dependency_suggests_the_closest_id() -> None:
    with pytest.raises(RuleDefinitionError) as info:
        plan([Fake("load"), Fake("check", ("lod",))])
    assert (
        str(info.value)
        == "rule 'check' depends on unknown rule 'lod'; did you mean 'load'?"
    )


def test_unknown_dependency_without_a_close_match() -> None:
    with pytest.raises(RuleDefinitionError) as info:
        plan([Fake("load"), Fake("check", ("zzz",))])
    assert str(info.value) == "rule 'check' depends on unknown rule 'zzz'"


def test_cycle_lists_its_ids_in_order() -> None:
    tasks = [
        Fake("x", ("b",)),  # depends on the cycle without being part of it
        Fake("a", ("b",)),
        Fake("b", ("c",)),
        Fake("c", ("a",)),
        Fake("ok"),
    ]
    with pytest.raises(DependencyCycleError) as info:
        plan(tasks)
    assert str(info.value) == "dependency cycle: a -> b -> c -> a"
    assert info.value.cycle == ["a", "b", "c", "a"]


def test_self_dependency_is_a_cycle() -> None:
    with pytest.raises(DependencyCycleError) as info:
        plan([Fake("a", ("a",))])
    assert str(info.value) == "dependency cycle: a -> a"


def test_long_chain_needs_no_recursion() -> None:
    n = 20_000
    tasks = [Fake("t0")] + [Fake(f"t{i}", (f"t{i - 1}",)) for i in range(1, n)]
    levels = plan(tasks)
    assert len(levels) == n
    assert levels[-1] == [f"t{n - 1}"]


def test_long_cycle_is_found_without_recursion() -> None:
    n = 20_000
    tasks = [Fake(f"t{i}", (f"t{(i + 1) % n}",)) for i in range(n)]
    with pytest.raises(DependencyCycleError) as info:
        plan(tasks)
    assert info.value.cycle[:3] == ["t0", "t1", "t2"]
    assert len(info.value.cycle) == n + 1
