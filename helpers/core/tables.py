"""The one table renderer of the kit: rows of dicts as aligned plain text (notebooks) or Markdown (docs)."""
from __future__ import annotations

from typing import Any


def cell(v: Any) -> str:
    """How a value reads in a table: None as '-', floats with 1 decimal (3 significant digits under 1), ints grouped."""
    if v is None:
        return "-"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        return f"{v:,.1f}" if abs(v) >= 1 or v == 0 else f"{v:.3g}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def _grid(rows: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    cols = list(dict.fromkeys(k for r in rows for k in r))
    return cols, [[cell(r.get(c)) for c in cols] for r in rows]


def text_table(rows: list[dict[str, Any]]) -> str:
    """Rows as an aligned plain-text table (first column left-aligned, the others right-aligned)."""
    if not rows:
        return "(no rows)"
    cols, cells = _grid(rows)
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.rjust(w) if i else v.ljust(w) for i, (v, w) in enumerate(zip(row, widths))) for row in cells]
    return "\n".join(lines)


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """Rows as a GitHub Markdown table (numbers right-aligned)."""
    if not rows:
        return "(no rows)"
    cols, cells = _grid(rows)
    numeric = [all(isinstance(r.get(c), (int, float)) or r.get(c) is None for r in rows) for c in cols]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---:" if n else "---" for n in numeric) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines)
