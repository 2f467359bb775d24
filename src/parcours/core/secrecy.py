"""Statistical secrecy: the one place that decides which published cells are hidden.

Every publication of counts of people (the evaluation's pages, charts, CSV/ODS/XLSX, PDF; the
national home card) asks here. Two rules, documented in docs/evaluation.md:

1. **Primary suppression**: a cell that rests on 1 to N − 1 people is hidden and shown as
   "< N" (an empty cell, 0, is no one's figure and is shown) (setting PARCOURS_STATISTICAL_SECRECY_THRESHOLD, default 11: the rule applied to the
   publication of individuals' tax data — no cell of fewer than 11 foyers fiscaux; the Cnaf's own
   open data rounds small counts to 5, which we find too weak for victims of violence).
2. **Secondary suppression**: when totals are published, a hidden cell must not be recomputable
   from the totals and the visible cells of its row, column or any other margin. A table is an
   N-dimensional array whose last index on each axis is the margin (the total of that axis).
   `protect()` hides more cells, cheapest first, until no hidden cell is determined:
   - "at least two per line" (the hypercube method's local condition, Giessing & Repsilber):
     any line (a 1-D slice along one axis, margin included) with exactly one hidden cell gets
     its cheapest visible cell hidden too;
   - then the attacker's check: the linear programme of the visible cells, the additivity of
     every line and non-negativity is solved for the lowest and highest value of each hidden
     cell (`attack()`); a cell whose range contains a single integer is determined, and the
     cheapest visible cell of one of its lines is hidden; repeat until none is.
   The same check is what the attacker test runs on every publishable table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.conf import settings

# The rules, by what a figure rests on. GENERAL: counts of people (the evaluation, the home cards).
# SURVEY: results of the anonymous satisfaction survey (mean scores and comments of a format in a
# department), shown from PARCOURS_WORKSHOP_SURVEY_MIN_ANSWERS answers (default 5, k-anonymity of
# answers that carry no identity at all: no person, registration or session is stored with them).
GENERAL, SURVEY = "general", "survey"


def threshold(rule: str = GENERAL) -> int:
    if rule == SURVEY:
        return int(settings.PARCOURS_WORKSHOP_SURVEY_MIN_ANSWERS)
    if rule != GENERAL:
        raise ValueError(f"unknown secrecy rule {rule!r}")
    return int(settings.PARCOURS_STATISTICAL_SECRECY_THRESHOLD)


def hidden_label(rule: str = GENERAL) -> str:
    return f"< {threshold(rule)}"


def too_small(people: float | None) -> bool:
    """Primary suppression: a cell that rests on 1 to N − 1 people.

    An empty cell (0) is no one's figure: it is published, as statistical offices do (a
    department that runs no hybrid session has 0 hybrid participants; hiding it would force the
    whole table into hiding, since non-negativity lets a total of zero be read anyway).
    """
    return people is not None and 0 < people < threshold()


def shown(count: int | None, *, rule: str = GENERAL) -> int | None:
    """A lone count (no total published beside it): itself, or None below the rule's threshold —
    zero included, since hiding a lone cell costs nothing."""
    return None if count is None or count < threshold(rule) else count


# --- tables with margins ----------------------------------------------------------------------


def with_margins(interior: np.ndarray) -> np.ndarray:
    """The table of `interior` with one more index on each axis holding the sums along it."""
    table = np.asarray(interior, dtype=float)
    for axis in range(table.ndim):
        table = np.concatenate([table, table.sum(axis=axis, keepdims=True)], axis=axis)
    return table


def _line_matrix(shape: Sequence[int]) -> np.ndarray:
    """Every line of the table as a row of flat indices (the last one: the line's margin)."""
    flat = np.arange(int(np.prod(shape))).reshape(shape)
    return [np.moveaxis(flat, axis, -1).reshape(-1, shape[axis]) for axis in range(len(shape))]


def _lines(shape: Sequence[int]):
    for block in _line_matrix(shape):
        yield from block


@dataclass(frozen=True)
class Range:
    low: float
    high: float

    @property
    def determined(self) -> bool:
        """The attacker knows the (integer) count: one integer only fits in the range."""
        if math.isinf(self.high):
            return False
        return self.width < 1

    @property
    def width(self) -> float:
        """How many integers beyond the first fit in the range (0: determined)."""
        if math.isinf(self.high):
            return math.inf
        return math.floor(self.high + 1e-6) - math.ceil(self.low - 1e-6)


def _system(tables: Sequence[np.ndarray], hidden: np.ndarray):
    """For each table: the equality system A x = b on the hidden cells (x ≥ 0), A sparse.

    Each line says: sum of its cells − its margin = 0; the visible cells move to the right side.
    """
    from scipy.sparse import coo_matrix, vstack

    shape = hidden.shape
    flat_hidden = hidden.reshape(-1)
    positions = np.flatnonzero(flat_hidden)
    column = np.full(flat_hidden.size, -1)
    column[positions] = np.arange(len(positions))
    matrices, parts = [], []
    for block in _line_matrix(shape):
        block = block[flat_hidden[block].any(axis=1)]
        if not len(block):
            continue
        signs = np.ones(block.shape, dtype=float)
        signs[:, -1] = -1.0
        mask = flat_hidden[block]
        rows = np.broadcast_to(np.arange(block.shape[0])[:, None], block.shape)[mask]
        matrices.append(
            coo_matrix((signs[mask], (rows, column[block[mask]])), shape=(block.shape[0], len(positions)))
        )
        parts.append((block, signs, mask))
    a_eq = vstack(matrices).tocsr() if matrices else None
    systems = []
    for table in tables:
        values = np.asarray(table, dtype=float).reshape(-1)
        known = np.concatenate([(signs * values[block] * ~mask).sum(axis=1) for block, signs, mask in parts])
        systems.append((a_eq, -known, values[positions]))
    return positions, systems


def _undecided(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    return np.floor(high + 1e-6) - np.ceil(low - 1e-6) < 1


def attack(tables: Sequence[np.ndarray], hidden: np.ndarray) -> dict[int, Range]:
    """What an attacker can learn of each hidden cell: its lowest and highest value under the
    visible cells, the additivity of every line and non-negativity (linear programming), in each
    table; the narrowest range is kept (a share's numerator or denominator, whichever says most).

    Rounds of objectives that push the still-undecided cells up (or down) with random weights
    decide most cells in a few solves; a min and a max are solved for each cell still undecided.
    """
    from scipy.optimize import linprog

    if not np.asarray(hidden).any():
        return {}
    positions, systems = _system(tables, hidden)
    n = len(positions)
    rng = np.random.default_rng(7)
    shape = hidden.shape
    spans = np.ones(shape)
    for axis, size in enumerate(shape):
        index = [slice(None)] * len(shape)
        index[axis] = -1
        spans[tuple(index)] *= max(size - 1, 1)
    spans = spans.reshape(-1)[positions]
    best: dict[int, Range] = {}
    for a_eq, b_eq, truth in systems:
        low, high = truth.copy(), truth.copy()

        # A ceiling keeps the exploring solves bounded; their solutions are feasible points all the same.
        # A margin gets the ceiling times the number of cells it adds up, so that every cell can
        # reach its own ceiling at once.
        ceiling = (2 * float(np.abs(truth).max(initial=0)) + 10) * spans
        for _ in range(4):
            pending = _undecided(low, high)
            if not pending.any():
                break
            for sign in (-1, 1):  # -1: push up (maximise), 1: push down
                weights = rng.uniform(0.5, 1.5, n) * pending
                solved = linprog(
                    sign * weights,
                    A_eq=a_eq,
                    b_eq=b_eq,
                    bounds=np.column_stack([np.zeros(n), ceiling]),
                    method="highs",
                )
                if solved.status == 0:
                    low, high = np.minimum(low, solved.x), np.maximum(high, solved.x)
        for i in np.flatnonzero(_undecided(low, high)):
            unit = np.zeros(n)
            unit[i] = 1
            lo = linprog(unit, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
            hi = linprog(-unit, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
            if lo.status == 0:
                low[i] = min(low[i], lo.fun)
            if hi.status == 0:
                high[i] = max(high[i], -hi.fun)
            elif hi.status == 3:
                high[i] = np.inf
        for i, position in enumerate(positions):
            span = Range(float(low[i]), float(high[i]))
            kept = best.get(int(position))
            if kept is None or span.width < kept.width:
                best[int(position)] = span
    return best


def determined_cells(tables: Sequence[np.ndarray], hidden: np.ndarray) -> list[int]:
    return [cell for cell, span in attack(tables, hidden).items() if span.determined]


def protect(tables: Sequence[np.ndarray], sensitive: np.ndarray, *, check: bool = True) -> np.ndarray:
    """The hidden cells: the sensitive ones, plus what secondary suppression adds (see the module).

    `tables` share one shape (e.g. a share's numerators and denominators), margins last on each
    axis; the cost of hiding a cell is its value in the first table (margins cost more: they are
    the figures people read first).
    """
    hidden = np.array(sensitive, dtype=bool)
    if not hidden.any():
        return hidden
    shape = hidden.shape
    flat = hidden.reshape(-1)
    cost = np.asarray(tables[0], dtype=float).reshape(-1).copy()
    margins = np.zeros(shape, dtype=bool)
    for axis in range(len(shape)):
        index = [slice(None)] * len(shape)
        index[axis] = -1
        margins[tuple(index)] = True
    cost = cost + margins.reshape(-1) * (cost.max() + 1)
    lines = list(_lines(shape))
    by_cell: dict[int, list[np.ndarray]] = {}
    for line in lines:
        for index in line:
            by_cell.setdefault(int(index), []).append(line)

    # An empty cell protects nothing (0 is all it can be when its line's other cells are shown):
    # secondary suppression picks among the non-empty cells only.
    empty = np.asarray(tables[0], dtype=float).reshape(-1) == 0
    if len(tables) > 1:
        for table in tables[1:]:
            empty &= np.asarray(table, dtype=float).reshape(-1) == 0

    def hide_cheapest(line) -> bool:
        visible = [int(i) for i in line if not flat[i] and not empty[i]]
        if not visible:
            return False
        flat[min(visible, key=lambda i: (cost[i], i))] = True
        return True

    for _ in range(flat.size):
        changed = True
        while changed:
            changed = False
            for line in lines:
                if flat[line].sum() == 1 and hide_cheapest(line):  # noqa: SIM102
                    changed = True
        if not check:
            break
        determined = determined_cells(tables, flat.reshape(shape))
        if not determined:
            break
        added = False
        for cell in determined:
            candidates = [
                (cost[i], i)
                for line in by_cell[cell]
                for i in (int(j) for j in line)
                if not flat[i] and not empty[i]
            ]
            if candidates:  # else every cell of its lines is hidden already
                flat[min(candidates)[1]] = True
                added = True
        if not added:
            break
    return flat.reshape(shape)
