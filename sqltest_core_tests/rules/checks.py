"""Predicates the docs' YAML suite imports by path."""

from __future__ import annotations

import pyarrow as pa


def iban_ok(batch: pa.RecordBatch) -> list[bool | None]:
    """True for IBANs whose mod-97 checksum is 1 (NULLs pass)."""
    verdicts: list[bool | None] = []
    for value in batch.column(0).to_pylist():
        if value is None:
            verdicts.append(None)
            continue
        text = value.replace(" ", "").upper()
        moved = text[4:] + text[:4]
        digits = "".join(str(int(ch, 36)) for ch in moved)
        verdicts.append(len(text) > 4 and int(digits) % 97 == 1)
    return verdicts
