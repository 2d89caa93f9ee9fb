"""Statistical assertions on seeded samples whose outcome is fixed by the seed."""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa
import pytest

from sqltest_core.testing import (
    DistributionMismatch,
    ResultMismatch,
    assert_mean,
    assert_quantile,
    assert_same_distribution,
    assert_stddev,
)

SEED = 20241128


def samples() -> dict[str, np.ndarray]:
    """Drawn in a fixed order from one generator: the numbers below follow."""
    rng = np.random.default_rng(SEED)
    out = {
        "a": rng.normal(0, 1, 2000),
        "b": rng.normal(0, 1, 2000),
        "shifted": rng.normal(0.5, 1, 2000),
    }
    cats = np.array(["x", "y", "z"])
    out["p"] = rng.choice(cats, 1000, p=[0.5, 0.3, 0.2])
    out["q"] = rng.choice(cats, 1000, p=[0.5, 0.3, 0.2])
    out["r"] = rng.choice(cats, 1000, p=[0.3, 0.3, 0.4])
    return out


S = samples()


def test_mean_stddev_quantile_within_tolerance() -> None:
    table = pa.table({"v": S["a"]})
    assert_mean(table, 0.0, abs_tol=0.001)
    assert_stddev(table, 0.98090, abs_tol=1e-5)
    assert_quantile(table, 0.9, 1.24593, abs_tol=1e-5)
    with pytest.raises(ResultMismatch) as info:
        assert_mean(table, 0.1, abs_tol=0.01)
    assert info.value.diff["actual"] == pytest.approx(0.0004264412279, abs=1e-12)
    assert info.value.diff["size"] == 2000
    assert str(info.value).startswith(
        "mean: expected 0.1 (abs_tol=0.01, rel_tol=None), got 0.000426"
    )


def test_nulls_are_dropped_and_columns_named() -> None:
    table = pa.table({"k": [1, 2, 3, 4], "v": [1.0, None, 3.0, 5.0]})
    assert_mean(table, 3.0, column="v")
    assert_stddev(table, 2.0, column="v")
    with pytest.raises(ValueError, match="name the column"):
        assert_mean(table, 3.0)
    assert_mean(pl.Series([1, None, 2]), 1.5)


def test_same_distribution_passes_with_exact_statistic() -> None:
    assert_same_distribution(
        pa.table({"v": S["a"]}), pa.table({"v": S["b"]}), alpha=0.05
    )
    with pytest.raises(DistributionMismatch) as info:
        # alpha above the p-value (0.8188): the same samples now "differ".
        assert_same_distribution(S["a"].tolist(), S["b"].tolist(), alpha=0.9)
    diff = info.value.diff
    assert diff["statistic"] == pytest.approx(0.02, abs=1e-12)
    assert diff["p_value"] == pytest.approx(0.8187536311788, abs=1e-9)
    assert (diff["actual_size"], diff["expected_size"]) == (2000, 2000)


def test_shifted_distribution_fails_with_ks_numbers_in_message() -> None:
    with pytest.raises(DistributionMismatch) as info:
        assert_same_distribution(pa.array(S["a"]), pa.array(S["shifted"]), alpha=0.01)
    diff = info.value.diff
    assert diff["test"] == "two-sample Kolmogorov-Smirnov"
    assert diff["statistic"] == pytest.approx(0.2285, abs=1e-12)
    assert diff["p_value"] == pytest.approx(3.618776199e-46, rel=1e-6)
    assert str(info.value) == (
        "distributions differ (two-sample Kolmogorov-Smirnov): statistic 0.2285, "
        "p-value 3.61878e-46 < alpha 0.01; sample sizes 2000 (actual) and 2000 (expected)"
    )
    assert isinstance(info.value, AssertionError)


def test_categories_use_chi_square() -> None:
    assert_same_distribution(S["p"].tolist(), S["q"].tolist())
    with pytest.raises(DistributionMismatch) as info:
        assert_same_distribution(pa.table({"c": S["p"]}), pa.table({"c": S["r"]}))
    diff = info.value.diff
    assert diff["test"] == "chi-square"
    assert diff["statistic"] == pytest.approx(120.9649632705, abs=1e-9)
    assert diff["p_value"] == pytest.approx(5.404953649e-27, rel=1e-6)
    assert (diff["alpha"], diff["actual_size"], diff["expected_size"]) == (
        0.05,
        1000,
        1000,
    )


def test_numbers_as_categories_on_request() -> None:
    with pytest.raises(DistributionMismatch, match="chi-square"):
        assert_same_distribution(
            [1] * 50 + [2] * 50, [1] * 90 + [2] * 10, kind="categorical"
        )
