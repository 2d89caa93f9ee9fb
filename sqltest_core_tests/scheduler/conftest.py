from __future__ import annotations

from sqltest_core_tests.scheduler._fakes import pools

__all__ = ["pools"]
