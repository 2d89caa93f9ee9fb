"""Developer sessions: lint, typecheck, tests, conformance, docs, bench."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
INSTALL = ["-c", "requirements/constraints.txt", "-e", ".[all]", "--group", "dev"]
CODE = ["sqltest_core", "sqltest_core_tests", "benchmarks", "examples", "noxfile.py"]


@nox.session
def lint(session: nox.Session) -> None:
    session.install("-c", "requirements/constraints.txt", "ruff")
    session.run("ruff", "check", *CODE)
    session.run("ruff", "format", "--check", *CODE)


@nox.session
def typecheck(session: nox.Session) -> None:
    session.install(*INSTALL)
    session.run("mypy")
    session.run("mypy", "sqltest_core_tests")


@nox.session(python=["3.11", "3.12", "3.13"])
def tests(session: nox.Session) -> None:
    session.install(*INSTALL)
    session.run("pytest", *session.posargs)


@nox.session
def conformance(session: nox.Session) -> None:
    session.install(*INSTALL)
    session.run("pytest", "sqltest_core_tests/connectors", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    session.install(*INSTALL)
    session.run("pytest", "docs", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    session.install(*INSTALL)
    session.run("python", "benchmarks/run_all.py", *session.posargs)
