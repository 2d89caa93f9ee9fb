"""The Snowflake emulator for tests: ``fakesnow.server()`` plus a few real behaviours.

Run as a script in its own process (see ``harness.emulator()``); it prints one JSON
line with the connection settings once it listens, and stops when its stdin closes,
so it never outlives the test session.

fakesnow answers queries over the real REST protocol but gets a few things wrong
that the connector's tests need, so this wrapper fixes them, each as Snowflake does:

* login checks the password and rejects others with 390100 (as Snowflake does),
  so the credential canary test sees a real authentication failure;
* ``SYSTEM$WAIT(amount[, unit])`` waits (fakesnow lacks the function), and
  ``POST /queries/v1/abort-request`` with the statement's ``requestId`` (what the
  connector sends on cancel) ends that wait with 000604 "SQL execution canceled";
* ``GET /sqltest/running`` lists the statements in flight (a stand-in for
  ``QUERY_HISTORY``), ``GET /sqltest/aborts`` the abort requests received and
  ``GET /sqltest/history`` every statement with its request id and parameters;
* a ``FIXED`` binding may hold a decimal (the driver sends ``Decimal("0.25")`` as
  ``{"type": "FIXED", "value": "0.25"}``); fakesnow's ``int(value)`` fails on it;
* a statement the emulator itself fails on answers 000603 "SQL execution internal
  error" instead of HTTP 500, which the driver retries until its network timeout
  (forever when none is set), so an emulator gap shows up as an error, not a hang.

* its stdout, a pipe the harness reads one line from, gets nothing after that
  line: uvicorn's per-request access log filled it and froze the server.

``kill -USR1 <pid>`` writes every thread's stack to the log.

Statements without ``SYSTEM$WAIT`` still run to completion in DuckDB when aborted:
fakesnow gives no way to interrupt them.
"""

from __future__ import annotations

import asyncio
import decimal
import gzip
import json
import re
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any

USER = "sqltest"
PASSWORD = "em-u1ator-pw"
DATABASE = "SQLTEST"

_WAIT = re.compile(
    r"SYSTEM\$WAIT\s*\(\s*(?P<amount>[0-9.]+)\s*(?:,\s*'(?P<unit>[A-Za-z]+)'\s*)?\)",
    re.IGNORECASE,
)
_UNITS = {
    "DAYS": 86_400.0,
    "HOURS": 3_600.0,
    "MINUTES": 60.0,
    "SECONDS": 1.0,
    "MILLISECONDS": 1e-3,
    "MICROSECONDS": 1e-6,
    "NANOSECONDS": 1e-9,
}


@dataclass
class _InFlight:
    sql: str
    aborted: asyncio.Event = field(default_factory=asyncio.Event)


_running: dict[str, _InFlight] = {}
_aborts: list[dict[str, str]] = []
_history: list[dict[str, Any]] = []
_INTEGER = re.compile(r"[+-]?[0-9]+")


def _body(raw: bytes, headers: Any) -> dict[str, Any]:
    if headers.get("Content-Encoding") == "gzip":
        raw = gzip.decompress(raw)
    parsed: dict[str, Any] = json.loads(raw)
    return parsed


def _error(code: str, message: str, sqlstate: str) -> Any:
    from starlette.responses import JSONResponse

    body = {
        "data": {"errorCode": code, "sqlState": sqlstate},
        "code": code,
        "message": message,
        "success": False,
    }
    return JSONResponse(body)


def _rebuilt(request: Any, body: dict[str, Any]) -> Any:
    """The same request with another (uncompressed) JSON body."""
    from starlette.requests import Request

    payload = json.dumps(body).encode()
    headers = [
        (k, v) for k, v in request.scope["headers"] if k.lower() != b"content-encoding"
    ]
    scope = {**request.scope, "headers": headers}
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": payload, "more_body": False}

    return Request(scope, receive)


def _patch_bindings(fs: Any) -> None:
    """Let ``FIXED`` bindings carry decimals, as Snowflake's own server does."""
    original = fs.from_binding

    def from_binding(binding: dict[str, Any]) -> Any:
        value = binding.get("value")
        if (
            binding.get("type") == "FIXED"
            and isinstance(value, str)
            and not _INTEGER.fullmatch(value)
        ):
            return decimal.Decimal(value)
        return original(binding)

    fs.from_binding = from_binding  # server.py calls it through its own global


async def _guarded(handler: Any, request: Any) -> Any:
    try:
        return await handler(request)
    except Exception as exc:
        # The traceback goes to the emulator's log; the client gets a final answer.
        import logging

        logging.getLogger("sqltest.emulator").exception("emulator failure")
        return _error(
            "000603",
            f"SQL execution internal error (emulator): {type(exc).__name__}: {exc}",
            "XX000",
        )


def _build_app() -> Any:
    import fakesnow.server as fs
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def login(request: Any) -> Any:
        data = _body(await request.body(), request.headers).get("data", {})
        if data.get("LOGIN_NAME") != USER or data.get("PASSWORD") != PASSWORD:
            return _error(
                "390100", "Incorrect username or password was specified.", "08004"
            )
        return await fs.login_request(request)

    async def query(request: Any) -> Any:
        request_id = request.query_params.get("requestId", "")
        body = _body(await request.body(), request.headers)
        sql = body.get("sqlText", "")
        _history.append(
            {
                "requestId": request_id,
                "sqlText": sql,
                "parameters": body.get("parameters"),
            }
        )
        flight = _InFlight(sql)
        _running[request_id] = flight
        try:
            match = _WAIT.search(sql)
            if match is None:
                return await _guarded(fs.query_request, request)
            unit = (match["unit"] or "SECONDS").upper()
            seconds = float(match["amount"]) * _UNITS.get(unit, 1.0)
            try:
                await asyncio.wait_for(flight.aborted.wait(), timeout=seconds)
            except TimeoutError:
                pass
            else:
                return _error("000604", "SQL execution canceled", "57014")
            waited = f"'waited {match['amount']} {unit.lower()}'"
            body["sqlText"] = sql[: match.start()] + waited + sql[match.end() :]
            return await _guarded(fs.query_request, _rebuilt(request, body))
        finally:
            _running.pop(request_id, None)

    async def abort(request: Any) -> Any:
        body = _body(await request.body(), request.headers)
        request_id = str(body.get("requestId", ""))
        _aborts.append(
            {"requestId": request_id, "sqlText": str(body.get("sqlText", ""))}
        )
        flight = _running.get(request_id)
        if flight is not None:
            flight.aborted.set()
        return JSONResponse({"success": True, "data": None})

    async def running(_request: Any) -> Any:
        return JSONResponse([f.sql for f in _running.values()])

    async def aborts(_request: Any) -> Any:
        return JSONResponse(_aborts)

    async def history(_request: Any) -> Any:
        return JSONResponse(_history)

    _patch_bindings(fs)
    replaced = {
        "/session/v1/login-request": login,
        "/queries/v1/query-request": query,
        "/queries/v1/abort-request": abort,
    }
    routes = [
        Route(r.path, replaced[r.path], methods=list(r.methods or ()))
        if r.path in replaced
        else r
        for r in fs.routes
    ]
    routes += [
        Route("/sqltest/running", running, methods=["GET"]),
        Route("/sqltest/aborts", aborts, methods=["GET"]),
        Route("/sqltest/history", history, methods=["GET"]),
    ]
    return Starlette(routes=routes)


def main() -> None:
    """Serve until stdin closes; print the connection settings as one JSON line."""
    import faulthandler
    import logging
    import os
    import signal

    # ``kill -USR1 <pid>`` writes every thread's stack to the log: how to see
    # what a stalled emulator is doing.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    # fakesnow warns about its own Arrow copies on every query; nobody reads them here.
    warnings.simplefilter("ignore")

    import fakesnow

    # Importing the fakesnow.server module rebinds the name fakesnow.server from
    # the function to the module, so take the function first.
    serve = fakesnow.server
    import fakesnow.server as fs

    fs.app = _build_app()  # serve() runs whatever app this attribute holds
    with serve() as settings:
        # uvicorn configured its loggers as the server started: its access log
        # (one line per request) goes to stdout. /sqltest/history has the same.
        logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
        print(
            json.dumps({"port": settings["port"], "host": settings["host"]}), flush=True
        )
        # The parent reads only that line from the stdout pipe. Anything written
        # there later fills the pipe (64 KiB) and then blocks the writer, which
        # froze the whole server after some 800 requests; send it to the log.
        os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
        sys.stdin.read()  # EOF: the parent test process ended or closed the pipe


if __name__ == "__main__":
    main()
