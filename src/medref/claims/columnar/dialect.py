"""The few things DuckDB and Spark SQL spell differently, for the one plan both run.

Everything else in `plan.py` is SQL both engines read the same way: joins, window functions,
`CASE`, `||`, `min_by`, `count(*) FILTER (WHERE ...)`, dates as integer day numbers.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Dialect:
    name: str

    def lit(self, text: str) -> str:
        """A string literal (both double a quote; Spark also reads backslash escapes)."""
        if self.name == "spark":
            text = text.replace("\\", "\\\\")
        return "'" + text.replace("'", "''") + "'"

    def ordered_join(self, value: str, separator: str, order: str) -> str:
        """An aggregate: the group's `value`s joined by `separator`, in `order`."""
        sep = self.lit(separator)
        if self.name == "spark":
            return (
                "nullif(array_join(transform(array_sort(collect_list(struct("
                f"{order} AS k, {value} AS v))), x -> x.v), {sep}), '')"
            )
        return f"string_agg({value}, {sep} ORDER BY {order})"

    def text(self, value: str) -> str:
        return f"CAST({value} AS STRING)"


DUCKDB = Dialect("duckdb")
SPARK = Dialect("spark")
