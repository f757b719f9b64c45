from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from supportqa.core.agreement import (
    BENCHMARK_SCALES,
    LEVELS,
    RAW_COEFFICIENTS,
    WEIGHTINGS,
    Agreement,
    AgreementError,
    interpret,
    level_weights,
    pairs_table,
    raw_agreement,
    table_agreement,
)

METRICS = ("percent", "cohen", "scott", "fleiss", "conger", "gwet", "bp", "krippendorff")
ID_COLUMNS = {"unit", "units", "subject", "item", "id", "conversation", "rater", "coder", "group"}


class Command(BaseCommand):
    help = (
        "Statistics for analysts working on their own exports. `stats agreement FILE.csv` "
        "prints an agreement coefficient with its standard error, 95% interval, p-value and "
        "benchmark interpretation. Empty cells are missing ratings."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="statistic", required=True)
        agreement = sub.add_parser("agreement", help="inter-rater agreement of a ratings CSV")
        agreement.add_argument("file", type=Path)
        agreement.add_argument(
            "--layout",
            choices=("units-by-raters", "raters-by-units"),
            default="units-by-raters",
            help="rows are units and columns raters, or the transpose; a "
            "leading id column (unit, subject, rater, …) is ignored",
        )
        agreement.add_argument("--metric", choices=METRICS, required=True)
        agreement.add_argument(
            "--level",
            choices=LEVELS,
            help="Krippendorff's alpha: level of measurement (default nominal)",
        )
        agreement.add_argument(
            "--weights",
            choices=WEIGHTINGS,
            default="unweighted",
            help="weighting for ordinal or interval scales",
        )
        agreement.add_argument(
            "--scale",
            choices=sorted(BENCHMARK_SCALES),
            default="landis-koch",
            help="benchmark scale for the interpretation",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            units = read_units(path, options["layout"])
            result, raters = compute(units, options)
        except (AgreementError, UnicodeDecodeError, csv.Error) as exc:
            raise CommandError(f"{path.name}: {exc}") from None
        self.stdout.write(report(result, len(units), raters, options))


def read_units(path: Path, layout: str) -> list[list[Any]]:
    header, body = _read_table(path)
    skip = _identifier_columns(header, first=1 if layout == "raters-by-units" else 0)
    cells = [[_cell(v) for v in row[skip:]] for row in body]
    return (
        [list(unit) for unit in zip(*cells, strict=True)] if layout == "raters-by-units" else cells
    )


def _read_table(path: Path) -> tuple[list[str], list[list[str]]]:
    """The header and the non-blank rows, each as long as the header."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = [row for row in csv.reader(handle) if any(cell.strip() for cell in row)]
    if len(rows) < 2:
        raise AgreementError("the file needs a header row and at least one row of ratings")
    header, body = rows[0], rows[1:]
    for line, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise AgreementError(f"line {line} has a different number of cells than the header")
    return header, body


def _identifier_columns(header: list[str], first: int) -> int:
    """How many leading columns identify (unit, group, rater, …) rather than rate."""
    skip = first
    while skip < len(header) and header[skip].strip().lower() in ID_COLUMNS:
        skip += 1
    return skip


def _cell(value: str) -> Any:
    value = value.strip()
    if value == "":
        return None
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number.is_integer() else number


def compute(units: list[list[Any]], options: dict[str, Any]) -> tuple[Agreement, int]:
    metric, weights = options["metric"], options["weights"]
    raters = len(units[0])
    if metric in ("cohen", "scott"):
        table, _ = pairs_table(units)
        return table_agreement(table, metric, weights), raters
    if metric == "krippendorff" and options["level"]:
        return raw_agreement(units, metric, level_weights(units, options["level"])), raters
    if metric not in RAW_COEFFICIENTS:
        raise AgreementError(f"unknown metric {metric}")
    return raw_agreement(units, metric, weights), raters


def report(result: Agreement, units: int, raters: int, options: dict[str, Any]) -> str:
    scheme = options["level"] or options["weights"]
    lines = [
        f"{result.coefficient} ({scheme}): {units} units, {raters} raters, {result.n} units used",
        f"  coefficient  {result.value:.4f}",
        f"  SE           {result.se:.4f}",
        f"  95% CI       {result.ci_low:.4f} to {result.ci_high:.4f}",
        f"  p-value      {result.p_value:.4g}",
        f"  agreement    observed {result.pa:.4f}, chance {result.pe:.4f}",
    ]
    if result.se > 0:
        label = interpret(result.value, result.se, options["scale"])
        lines.append(f"  benchmark    {label} ({options['scale']}, 95% certain)")
    return "\n".join(lines)
