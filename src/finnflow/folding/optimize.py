"""Resource-aware folding: the per-layer folding that maximizes frames per second within a
board's budget under the resource model, the width converters and FIFOs between layers included.

The search is exact for the model. A design's cycles per frame are its slowest layer's, so its
FPS is set by a bound T on every layer's cycles, and T can be restricted to the distinct cycle
counts the layers' foldings achieve. For a given T each layer may take any folding of at most T
cycles, and the cost of a chain of layers is the sum of per-layer costs plus, per edge, the
converter and FIFO that ``stitch`` inserts, which depend only on the stream shapes on either side
of the edge. A dynamic program along the chain keeps, for each stream shape leaving the layers
so far, the Pareto front of the resource vectors (LUT, FF, BRAM18, URAM, DSP) of all partial
designs ending in that shape; a partial design that a front member dominates can never complete
into a design that is better in any resource, so pruning keeps every optimum, and vectors over
the budget are dropped (costs only grow). T is feasible when a vector survives the last layer.
Raising T only adds foldings, so feasibility is monotone and a binary search over the distinct
cycle counts finds the smallest feasible T. At the chosen T (never below the board's I/O bound,
where more parallelism buys nothing) the design with the smallest sum of budget fractions is
taken: the minimum of a monotone cost over a set is attained on its Pareto front.

Fronts are the exact fallback; most questions are settled before one is built, by the same chain
DP over a single weighted sum of the resources (exact, and fast as arrays). Whether T fits:
the least any design needs of each resource alone, then a Lagrangian relaxation whose weighted
minima either fit (a design that fits) or exceed the weighted budget (no design fits), with a
local search that repairs near misses into candidates. The cheapest design at T: a relaxation
candidate that meets the relaxation's lower bound is optimal; otherwise its cost and
multipliers bound the front, dropping every partial design whose Lagrangian lower bound
exceeds that cost. The fronts stay small because layers' options are few (divisor pairs times
memory styles) and the block RAM and DSP counts take few values; see
``bench/folding_bench.py`` for run times."""

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp
from scipy.optimize import linprog

from finnflow.boards import RESOURCES, Board, io_bound_cycles
from finnflow.errors import FoldingError
from finnflow.folding.config import ApplyFolding
from finnflow.hw.base import bound_op, hw_nodes, memoized_attrs
from finnflow.hw.estimate import estimate_network, node_resources
from finnflow.transforms.stitch import edge_nodes, stitch


def estimate_resources(op) -> np.ndarray:
    """The node's resources (``node_resources``) as a vector in RESOURCES order."""
    return np.array(list(node_resources(op).values()), dtype=np.int64)


@dataclass(frozen=True)
class _Option:
    """One folding of one layer."""

    attrs: dict
    cycles: int
    cost: np.ndarray = field(compare=False)
    in_key: tuple
    out_key: tuple
    lanes: int


def _set(op, attrs: dict) -> None:
    for a, v in attrs.items():
        op.set_nodeattr(a, v)


def layer_options(op) -> list[_Option]:
    """Every folding of the layer ``op`` in its folding space that the layer accepts
    (``verify_folding``; a parallel window needs SIMD = channels), its attributes restored
    afterwards."""
    space = op.get_folding_space()
    saved = {a: op.get_nodeattr(a) for a in space}
    options = []
    for values in itertools.product(*space.values()):
        attrs = dict(zip(space, values, strict=True))
        _set(op, attrs)
        try:
            op.verify_folding()
        except FoldingError:
            continue
        options.append(
            _Option(
                attrs,
                int(op.get_exp_cycles()),
                estimate_resources(op),
                tuple(op.get_folded_input_shape()),
                tuple(op.get_folded_output_shape()),
                int(op.datapath_lanes()),
            )
        )
    _set(op, saved)
    return options


def _pareto(vecs: np.ndarray, cells: int = 1 << 22) -> np.ndarray:
    """Indices of the rows of ``vecs`` that no other row dominates (ties keep one), in
    lexicographic order of the rows (``_undominated``; ``cells`` bounds its arrays)."""
    if len(vecs) <= 1:
        return np.arange(len(vecs))
    vecs = vecs[:, (vecs != vecs[0]).any(axis=0)]  # a column equal in every row decides nothing
    if not vecs.shape[1]:
        return np.arange(1)
    first, _ = _distinct_rows(vecs)
    return first[_undominated(vecs[first], cells)]


def _distinct_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The index of each distinct row's first occurrence, in lexicographic order of the rows,
    and for every row the position of its distinct row in that order."""
    order = np.lexsort(rows.T[::-1])
    new = np.r_[True, (rows[order[1:]] != rows[order[:-1]]).any(axis=1)]
    member = np.empty(len(rows), dtype=np.int64)
    member[order] = np.cumsum(new) - 1
    return order[new], member


def _undominated(rows: np.ndarray, cells: int, block: int = 256) -> np.ndarray:
    """Which of the distinct ``rows`` no other row dominates.

    Under any order of the columns, a row's dominators precede it lexicographically, and a
    preceding row is a dominator when it is at most as large in every column but the first.
    The columns are taken most varied first: the first orders the rows, the second is scanned,
    and the others, which take few values (block RAM, DSP counts), group the rows. A row of
    group u is dominated when some preceding row of a group at most u elementwise is at most
    as large in the scanned column: running minima, one per group. Where rows times groups
    exceeds ``cells``, blocks of rows are tested against all earlier undominated rows."""
    n, d = rows.shape
    varied = [len(np.unique(rows[:, c])) for c in range(d)]
    rows = rows[:, np.argsort(varied, kind="stable")[::-1]]
    order = np.lexsort(rows.T[::-1])
    rows = rows[order]
    dominated = np.zeros(n, dtype=bool)
    if d == 1:
        dominated[1:] = True
    else:
        first, member = (
            _distinct_rows(rows[:, 2:]) if d > 2 else (np.zeros(1, int), np.zeros(n, int))
        )
        if n * len(first) <= cells:
            groups = rows[first, 2:]
            under = (groups[:, None, :] <= groups[None, :, :]).all(axis=2)
            scan = rows[:, 1].astype(np.float64)
            least = np.minimum.accumulate(np.where(under[member], scan[:, None], np.inf))
            dominated[1:] = least[np.arange(n - 1), member[1:]] <= scan[1:]
        else:
            kept = rows[:0, 1:]
            for start in range(0, n, block):
                part = rows[start : start + block, 1:]
                hit = (kept[None, :, :] <= part[:, None, :]).all(axis=2).any(axis=1)
                hit |= np.tril((part[None, :, :] <= part[:, None, :]).all(axis=2), -1).any(axis=1)
                dominated[start : start + block] = hit
                kept = np.concatenate([kept, part[~hit]])
    undominated = np.empty(n, dtype=bool)
    undominated[order] = ~dominated
    return undominated


FF = RESOURCES.index("ff")


class _Front:
    """Pareto-pruned resource vectors (rows of ``vecs``), each with the option index chosen per
    layer so far (the same row of ``picks``).

    ``mode`` "exact" prunes on all resources. FF is almost never binding, but it trades against
    LUTs from one folding to the next, which makes exact fronts large; two relaxed modes leave
    the FF budget unenforced and FF out of the dominance test, "fit" (enough to decide whether
    any design fits) and "cost", where the objective ``vec @ weights`` takes FF's place (enough
    to find the cheapest). ``FoldingSearch.best`` says how they are used exactly."""

    def __init__(
        self,
        vecs: np.ndarray,
        picks: np.ndarray,
        budget: np.ndarray,
        mode: str = "exact",
        weights: np.ndarray | None = None,
    ):
        if mode == "exact":
            ok = np.all(vecs <= budget, axis=1)
        else:
            ok = np.all(np.delete(vecs, FF, axis=1) <= np.delete(budget, FF), axis=1)
        vecs, picks = vecs[ok], picks[ok]
        keys = vecs
        if mode == "fit":
            keys = np.delete(vecs, FF, axis=1)
        elif mode == "cost":
            keys = vecs.astype(np.float64)
            keys[:, FF] = vecs @ weights
        keep = _pareto(keys)
        self.vecs, self.picks = vecs[keep], picks[keep]

    def __len__(self) -> int:
        return len(self.vecs)


@dataclass
class FoldingPlan:
    """The optimizer's choice and what it costs, against the board."""

    board: str
    clock_mhz: float
    folding: dict  # node name -> folding attributes (FINN's JSON entries)
    cycles: int
    resources: dict  # estimate of the stitched design, FIFOs fifo_depth words deep
    budget: dict  # the board's usable budget less the reserve
    binding: str  # what stops a faster design
    io_bound_cycles: int
    compute_bound_fps: float
    seconds: float
    fifo_depth: int | None = None  # None: one frame
    reserved: dict = field(default_factory=dict)

    @property
    def fps(self) -> float:
        """Frames per second on the board: the slowest layer's rate, or the DMA's where that
        is lower (the cheapest design within the I/O bound can be faster than it)."""
        return self.clock_mhz * 1e6 / max(self.cycles, self.io_bound_cycles)

    @property
    def io_bound_fps(self) -> float:
        return self.clock_mhz * 1e6 / self.io_bound_cycles

    def to_dict(self) -> dict:
        lower = min(self.io_bound_fps, self.compute_bound_fps)
        return {
            "board": self.board,
            "clock_mhz": self.clock_mhz,
            "cycles": self.cycles,
            "fps": round(self.fps, 1),
            "resources": self.resources,
            "budget": self.budget,
            "utilization": {
                r: round(self.resources[r] / self.budget[r], 4) if self.budget[r] else None
                for r in RESOURCES
            },
            "binding": self.binding,
            "planned_fifo_depth": self.fifo_depth,
            "reserved": self.reserved,
            "io_bound_cycles": self.io_bound_cycles,
            "io_bound_fps": round(self.io_bound_fps, 1),
            "compute_bound_fps": round(self.compute_bound_fps, 1),
            "fraction_of_io_bound": round(self.fps / self.io_bound_fps, 4),
            "fraction_of_compute_bound": round(self.fps / self.compute_bound_fps, 4),
            "fraction_of_lower_bound": round(min(self.fps, lower) / lower, 4),
            "seconds": round(self.seconds, 3),
            "folding": self.folding,
        }


class FoldingSearch:
    """The options of every layer of a dataflow chain and the stitching cost of every edge, for
    searches over foldings of one model on one board."""

    def __init__(
        self,
        model: ModelWrapper,
        board: Board,
        fifo_depth: int | None = None,
        reserve: dict | None = None,
    ):
        self.board, self.fifo_depth = board, fifo_depth
        self.nodes = hw_nodes(model)
        if not self.nodes:
            raise FoldingError("the dataflow graph has no hardware layers to fold")
        for a, b in itertools.pairwise(self.nodes):
            if list(b.input)[:1] != list(a.output)[:1]:
                raise FoldingError(
                    f"folding search needs a chain of layers; {b.name} does not read {a.name}"
                )
        self.ops = [bound_op(n, model) for n in self.nodes]
        with memoized_attrs(self.ops):
            self.options = [layer_options(op) for op in self.ops]
            self.edges = [self._edge_costs(i) for i in range(len(self.ops) - 1)]
        held = reserve or {}
        self.budget = np.array(
            [max(0, board.budget()[r] - held.get(r, 0)) for r in RESOURCES], dtype=np.int64
        )
        self.weights = 1.0 / np.maximum(self.budget, 1)  # a design's cost: its budget fractions
        self._tables: list[dict] = []
        for i in range(len(self.ops)):
            self._tables.append(self._layer_table(i))

    def _layer_table(self, i: int) -> dict:
        """Layer i's options and the edge into it as arrays, for the vectorized chain DP:
        option cycles and costs, each option's in/out stream shape as an index, and the edge
        from the previous layer's out shapes (rows) to this layer's in shapes (columns)."""
        opts = self.options[i]
        ins = sorted({o.in_key for o in opts})
        outs = sorted({o.out_key for o in opts})
        table = {
            "cycles": np.array([o.cycles for o in opts]),
            "cost": np.array([o.cost for o in opts], dtype=np.int64),
            "in": np.array([ins.index(o.in_key) for o in opts]),
            "out": np.array([outs.index(o.out_key) for o in opts]),
            "n_out": len(outs),
        }
        if i:
            prev = self._tables[i - 1]["out_keys"]
            edge = self.edges[i - 1]
            table["edge_cycles"] = np.array([[edge[a, b][0] for b in ins] for a in prev])
            table["edge_cost"] = np.array(
                [[edge[a, b][1] for b in ins] for a in prev], dtype=np.int64
            )
        table["in_keys"], table["out_keys"] = ins, outs
        return table

    def _edge_costs(self, i: int) -> dict:
        """(cycles, resources) of the converter and FIFO on edge i -> i+1, per (out shape, in
        shape)."""
        src, dst = self.ops[i], self.ops[i + 1]
        saved = [{a: op.get_nodeattr(a) for a in op.get_folding_space()} for op in (src, dst)]
        outs = {o.out_key: o.attrs for o in self.options[i]}
        ins = {o.in_key: o.attrs for o in self.options[i + 1]}
        costs = {}
        for (ok, oa), (ik, ia) in itertools.product(outs.items(), ins.items()):
            _set(src, oa)
            _set(dst, ia)
            ops = [getCustomOp(n) for n in edge_nodes(src, dst, self.fifo_depth)]
            costs[ok, ik] = (
                max(int(op.get_exp_cycles()) for op in ops),
                sum((estimate_resources(op) for op in ops), np.zeros(len(RESOURCES), np.int64)),
            )
        _set(src, saved[0])
        _set(dst, saved[1])
        return costs

    def cycle_counts(self) -> list[int]:
        """The distinct cycle counts a design can have (those of the layers' foldings and of the
        converters between them) no smaller than the slowest layer's fastest folding."""
        floor = max(min(o.cycles for o in opts) for opts in self.options)
        counts = {o.cycles for opts in self.options for o in opts}
        counts |= {c for edge in self.edges for c, _ in edge.values()}
        return sorted(c for c in counts if c >= floor)

    def front(
        self,
        cycles: int,
        budget: np.ndarray | None = None,
        mode: str = "exact",
        limit: tuple[float, np.ndarray] | None = None,
    ) -> _Front:
        """Pareto front (``_Front``'s ``mode``) of complete designs whose every layer takes at
        most ``cycles`` cycles, within ``budget`` (the board's unless given). A partial design
        that cannot fit even with the cheapest options of the layers after it is dropped.

        ``limit`` = (cost, multipliers): keep only designs within the board's budget that may
        cost (``vec @ weights``) at most ``cost``. A partial design P is dropped when its
        Lagrangian bound exceeds it: for multipliers lam >= 0, every completion Q that fits
        costs at least ``cost(P) + lam' @ (vec(P) - budget) + min over Q of (weights + lam')
        @ vec(Q)`` (lam' = lam / budget), the minimum being the exact suffix of the chain DP
        from P's stream shape on."""
        budget = self.budget if budget is None else budget
        rest = [np.zeros_like(budget)]
        for opts in reversed(self.options):
            allowed = [o.cost for o in opts if o.cycles <= cycles]
            least = np.min(allowed, axis=0) if allowed else np.full_like(budget, budget.max() + 1)
            rest.insert(0, rest[0] + least)
        if limit is not None:
            cost_limit = limit[0] * (1 + 1e-9)
            lam = limit[1] / np.maximum(self.budget, 1)
            lagrange = self.weights + lam
            suffix_in, suffix_out = self._suffix(cycles, lagrange)
            shift = float(lam @ self.budget)

        def prune(vecs, picks, i, suffix=0.0):
            if limit is not None:
                ok = vecs @ lagrange - shift + suffix <= cost_limit
                vecs, picks = vecs[ok], picks[ok]
            return _Front(vecs, picks, budget - rest[i], mode, self.weights)

        def stack(parts: list, width: int) -> np.ndarray:
            return np.concatenate(parts) if parts else np.zeros((0, width), np.int64)

        start = np.zeros((1, len(budget)), np.int64)
        fronts: dict[tuple, _Front] = {None: prune(start, np.zeros((1, 0), np.int64), 0)}
        for i, opts in enumerate(self.options):
            allowed = [(k, o) for k, o in enumerate(opts) if o.cycles <= cycles]
            t = self._tables[i]
            merged: dict[tuple, _Front] = {}
            for in_key in {o.in_key for _, o in allowed}:
                vecs, picks = [], []
                for out_key, f in fronts.items():
                    edge_cycles, edge = self.edges[i - 1][out_key, in_key] if i else (0, 0)
                    if edge_cycles <= cycles:
                        vecs.append(f.vecs + edge)
                        picks.append(f.picks)
                bound = suffix_in[i][t["in_keys"].index(in_key)] if limit is not None else 0.0
                merged[in_key] = prune(stack(vecs, len(budget)), stack(picks, i), i, bound)
            grouped: dict[tuple, tuple[list, list]] = {}
            for k, o in allowed:
                m = merged[o.in_key]
                vecs, picks = grouped.setdefault(o.out_key, ([], []))
                vecs.append(m.vecs + o.cost)
                picks.append(np.column_stack([m.picks, np.full(len(m), k)]))
            fronts = {
                key: prune(
                    stack(v, len(budget)),
                    stack(p, i + 1),
                    i + 1,
                    suffix_out[i + 1][t["out_keys"].index(key)] if limit is not None else 0.0,
                )
                for key, (v, p) in grouped.items()
            }
            fronts = {key: f for key, f in fronts.items() if len(f)}
            if not fronts:
                break
        vecs = stack([f.vecs for f in fronts.values()], len(budget))
        picks = stack([f.picks for f in fronts.values()], len(self.options))
        return prune(vecs, picks, len(self.options))

    def _suffix(self, cycles: int, weights: np.ndarray) -> tuple[list, list]:
        """The chain DP run backwards: ``into[i][j]``, the least ``weights @ vec`` of layers i
        onwards entering layer i in its in-shape j; ``after[i][a]``, the same from the edge
        after layer i - 1 left in its out-shape a (``after[L]`` is 0)."""
        n = len(self._tables)
        after: list = [None] * n + [np.zeros(self._tables[-1]["n_out"])]
        into: list = [None] * n
        for i in range(n - 1, -1, -1):
            t = self._tables[i]
            value = t["cost"] @ weights + after[i + 1][t["out"]]
            value[t["cycles"] > cycles] = np.inf
            into[i] = np.full(len(t["in_keys"]), np.inf)
            np.minimum.at(into[i], t["in"], value)
            if i:
                edge = t["edge_cost"] @ weights + into[i][None, :]
                edge[t["edge_cycles"] > cycles] = np.inf
                after[i] = edge.min(axis=1)
        return into, after

    def fits(self, cycles: int) -> bool:
        """Whether any design of at most ``cycles`` cycles per frame is within the budget: no,
        when a resource alone is over; else the relaxation's answer where it has one; else the
        "fit" front, which keeps, for every design within the budget of the resources other than FF,
        one at most as large in each of them, so it is empty only if nothing fits, and a member
        whose FF is within budget too is a design that fits; otherwise FF decides, exactly."""
        if np.any(self.minimum_needs(cycles) > self.budget):
            return False
        found, bound, _ = self.relax(cycles)
        if found or bound > 1e-9:
            return bool(found)
        front = self.front(cycles, mode="fit")
        if not len(front):
            return False
        if np.any(front.vecs[:, FF] <= self.budget[FF]):
            return True
        return bool(len(self.front(cycles)))

    def best(self, cycles: int) -> tuple[tuple, np.ndarray] | None:
        """The design of at most ``cycles`` cycles per frame within the budget with the smallest
        sum of budget fractions, or None if none fits.

        The "cost" front keeps, for every design within the budget of the resources other than
        FF, one at most as large in each of them and at most as costly; so its cheapest member
        costs at most the optimum and, when that member's FF is within budget too, it is the
        optimum. Otherwise FF decides, and the exact front answers.

        The Lagrangian relaxation (``relax``) comes first: where its candidate meets its lower
        bound, that candidate is the optimum and no front is needed; otherwise its cost limits
        the fronts, since the optimum costs no more."""
        picks, vec = self.scalar_best(cycles, self.weights)
        if np.all(vec <= self.budget):
            return picks, vec  # the cheapest of all designs fits, so it is the cheapest that fits
        found, bound, lam = self.relax(cycles, self.weights)
        limit = None
        if found:
            cost = float(found[1] @ self.weights)
            if cost - bound <= 1e-9 * max(1.0, cost):
                return found
            limit = (cost, lam)
        front = self.front(cycles, mode="cost", limit=limit)
        if not len(front):
            return None
        picks, vec = self.cheapest(front)
        if vec[FF] <= self.budget[FF]:
            return picks, vec
        exact = self.front(cycles, limit=limit)
        return self.cheapest(exact) if len(exact) else None

    def minimum_needs(self, cycles: int) -> np.ndarray:
        """Per resource, the least any design of at most ``cycles`` cycles per frame needs (each
        minimized on its own, so a design meeting all of them at once may not exist)."""
        unit = np.eye(len(RESOURCES))
        return np.array([self.scalar_best(cycles, unit[r])[1][r] for r in range(len(RESOURCES))])

    def scalar_best(self, cycles: int, weights: np.ndarray) -> tuple[tuple, np.ndarray]:
        """Chain DP over one weighted sum of the resources, budgets ignored: the design of at
        most ``cycles`` cycles that minimizes ``vec @ weights`` (ties: the lowest option index),
        exactly, since the cost is a sum over layers and edges and an edge's cost depends only
        on the stream shapes it joins. With no design at all, the vector is all "infinite"."""
        value = np.zeros(1)
        back = []
        for i, t in enumerate(self._tables):
            if i:
                into = value[:, None] + t["edge_cost"] @ weights
                into[t["edge_cycles"] > cycles] = np.inf
                came = np.argmin(into, axis=0)
                into = into[came, np.arange(into.shape[1])]
            else:
                came, into = np.zeros(t["in"].max() + 1, dtype=np.int64), np.zeros(1)
            cand = into[t["in"] if i else np.zeros_like(t["in"])] + t["cost"] @ weights
            cand[t["cycles"] > cycles] = np.inf
            order = np.lexsort((np.arange(len(cand)), cand, t["out"]))
            first = order[np.r_[True, t["out"][order][1:] != t["out"][order][:-1]]]
            chosen = np.full(t["n_out"], -1)
            chosen[t["out"][first]] = first
            value = np.full(t["n_out"], np.inf)
            value[t["out"][first]] = cand[first]
            back.append((came, chosen))
        if not np.isfinite(value).any():
            return (), np.full(len(RESOURCES), np.iinfo(np.int64).max // 4)
        key, picks = int(np.argmin(value)), []
        for i in range(len(self._tables) - 1, -1, -1):
            came, chosen = back[i]
            k = int(chosen[key])
            picks.append(k)
            key = int(came[self._tables[i]["in"][k]])
        picks = tuple(reversed(picks))
        return picks, self.cost_of(picks)

    def cost_of(self, picks: tuple) -> np.ndarray:
        """Resources of the design that takes option ``picks[i]`` for layer i, edges included."""
        chosen = [self.options[i][k] for i, k in enumerate(picks)]
        vec = sum((o.cost for o in chosen), np.zeros(len(RESOURCES), np.int64))
        for i, (a, b) in enumerate(itertools.pairwise(chosen)):
            vec = vec + self.edges[i][a.out_key, b.in_key][1]
        return vec

    def relax(
        self, cycles: int, objective: np.ndarray | None = None, rounds: int = 60
    ) -> tuple[tuple | None, float, np.ndarray]:
        """Lagrangian relaxation of "the design of at most ``cycles`` cycles within the budget
        that minimizes ``objective @ vec``" (without an objective: whether any fits). For
        multipliers lam >= 0 on the budget fractions, ``scalar_best`` minimizes
        ``objective @ vec + lam @ (vec - budget) / budget`` exactly; its minimum bounds the
        optimum from below, since a design within the budget adds nothing positive, and each
        minimizer that fits is a candidate. The multipliers follow the resources that are over
        (subgradient steps). Returns the cheapest candidate found (None if none) and the best
        lower bound; stops as soon as they meet (the candidate is optimal), or, without an
        objective, at the first design that fits or the first bound above 0 (nothing fits)."""
        feasibility = objective is None
        objective = np.zeros(len(RESOURCES)) if feasibility else objective
        scale = 1.0 / np.maximum(self.budget, 1)
        lam = np.ones(len(RESOURCES)) if feasibility else np.zeros(len(RESOURCES))
        best, best_cost, bound, best_lam = None, np.inf, -np.inf, lam
        for k in range(rounds):
            picks, vec = self.scalar_best(cycles, objective + lam * scale)
            if not picks:
                return None, np.inf, lam
            over = vec * scale - self.budget * scale
            if objective @ vec + lam @ over > bound:
                bound, best_lam = float(objective @ vec + lam @ over), lam
            found = (picks, vec) if np.all(vec <= self.budget) else None
            found = found or self.local_search(cycles, picks, objective)
            if found and objective @ found[1] < best_cost:
                best, best_cost = found, float(objective @ found[1])
            tol = 1e-9 * max(1.0, abs(best_cost) if best else abs(bound))
            if (feasibility and (best or bound > tol)) or best_cost - bound <= tol:
                break
            lam = np.maximum(0.0, lam + over / (1 + k / 4))
        return best, bound, best_lam

    def _swaps(self, cycles: int, picks: tuple, i: int) -> tuple[np.ndarray, np.ndarray]:
        """For every option of layer i (with the other layers as in ``picks``): the design's
        resource vector when layer i takes it, and whether that design keeps within
        ``cycles`` (the option and both of its edges)."""
        t, k = self._tables[i], picks[i]
        vec = self.cost_of(picks) - t["cost"][k] + t["cost"]
        ok = t["cycles"] <= cycles
        if i:
            prev = self._tables[i - 1]["out"][picks[i - 1]]
            vec += t["edge_cost"][prev, t["in"]] - t["edge_cost"][prev, t["in"][k]]
            ok &= t["edge_cycles"][prev, t["in"]] <= cycles
        if i + 1 < len(picks):
            nxt = self._tables[i + 1]
            col = nxt["in"][picks[i + 1]]
            vec += nxt["edge_cost"][t["out"], col] - nxt["edge_cost"][t["out"][k], col]
            ok &= nxt["edge_cycles"][t["out"], col] <= cycles
        return vec, ok

    def local_search(
        self, cycles: int, picks: tuple, objective: np.ndarray
    ) -> tuple[tuple, np.ndarray] | None:
        """From the design ``picks``, change one layer's folding at a time: while over the
        budget, the change that most reduces the excess (sum of fractions over), then, within
        the budget, the change that most reduces ``objective @ vec``. The design reached if it
        fits, else None: a heuristic that supplies candidates, never a proof."""
        scale = 1.0 / np.maximum(self.budget, 1)
        picks = list(picks)
        for _ in range(4 * len(picks) + 50):
            vec = self.cost_of(tuple(picks))
            excess = float(np.maximum(vec - self.budget, 0) @ scale)
            best = (excess, float(objective @ vec), None, None)
            for i in range(len(picks)):
                vecs, ok = self._swaps(cycles, tuple(picks), i)
                ex = np.maximum(vecs - self.budget, 0) @ scale
                cost = vecs @ objective
                key = np.where(ok, ex * 1e6 + cost, np.inf)
                k = int(np.argmin(key))
                if ok[k] and (ex[k], cost[k]) < best[:2]:
                    best = (float(ex[k]), float(cost[k]), i, k)
            if best[2] is None:
                break
            picks[best[2]] = best[3]
        vec = self.cost_of(tuple(picks))
        return (tuple(picks), vec) if np.all(vec <= self.budget) else None

    def cycles_of(self, picks: tuple) -> int:
        """Cycles per frame of the design that takes option ``picks[i]`` for layer i."""
        chosen = [self.options[i][k] for i, k in enumerate(picks)]
        edges = [
            self.edges[i][a.out_key, b.in_key][0]
            for i, (a, b) in enumerate(itertools.pairwise(chosen))
        ]
        return max([o.cycles for o in chosen] + edges)

    def compute_bound_cycles(self) -> float:
        """The fewest cycles per frame with which the LUT and DSP budgets could pay for every
        layer's lanes at its foldings' costs per lane: a linear program over frames per cycle
        ``t`` (at most 1) and the lanes of each layer bought at each of its foldings' (LUTs,
        DSPs) per lane, the lanes of a layer at least its work (cycles x lanes, which no
        folding changes) times ``t``. A folding that fits at C cycles per frame is a feasible
        point (``t = 1/C``, its own lanes), so none is faster. With no DSP budget this is the
        LUT budget spent on each layer's work at its cheapest LUTs per lane; with DSPs, their
        lanes count too, within their budget."""
        lut, dsp = RESOURCES.index("lut"), RESOURCES.index("dsp")
        work = np.array([o[0].cycles * max(o[0].lanes, 1) for o in self.options], dtype=float)
        per_lane = [
            np.unique([o.cost[[lut, dsp]] / max(o.lanes, 1) for o in opts], axis=0)
            for opts in self.options
        ]
        costs = np.concatenate(per_lane)  # a column per (layer, cost per lane)
        layer = np.repeat(np.arange(len(work)), [len(p) for p in per_lane])
        scale = work.max()  # variables: t * scale (the largest layer's lanes), then lanes
        need = np.zeros((len(work), 1 + len(costs)))
        need[:, 0] = work / scale
        need[layer, 1 + np.arange(len(costs))] = -1.0
        res = linprog(
            -np.eye(1, 1 + len(costs))[0],
            A_ub=np.vstack([need, np.column_stack([np.zeros(2), costs.T])]),
            b_ub=np.concatenate([np.zeros(len(work)), self.budget[[lut, dsp]]]),
            bounds=[(0, scale)] + [(0, None)] * len(costs),
            method="highs",
        )
        if res.status != 0 or res.x[0] <= 0:
            raise FoldingError(f"the compute bound's linear program failed: {res.message}")
        return scale / res.x[0]

    def plan(self, picks: tuple, vec: np.ndarray, cycles: int, binding: str, **kw) -> FoldingPlan:
        folding = {
            n.name: dict(self.options[i][k].attrs)
            for i, (n, k) in enumerate(zip(self.nodes, picks, strict=True))
        }
        return FoldingPlan(
            board=self.board.name,
            folding=folding,
            cycles=cycles,
            resources={r: int(v) for r, v in zip(RESOURCES, vec, strict=True)},
            budget={r: int(b) for r, b in zip(RESOURCES, self.budget, strict=True)},
            binding=binding,
            **kw,
        )

    def cheapest(self, front: _Front) -> tuple[tuple, np.ndarray]:
        """The front member with the smallest sum of budget fractions."""
        i = int(np.argmin(front.vecs @ self.weights))
        return tuple(int(k) for k in front.picks[i]), front.vecs[i]

    def _least_within(self, cycles: int, r: int, budget: np.ndarray) -> int | None:
        """The least of resource ``r`` over the designs within ``budget``: from the relaxed
        front when its minimum is also within the FF budget (as in ``best``), else exactly."""
        if r != FF:
            front = self.front(cycles, budget, mode="fit")
            if not len(front):
                return None
            i = int(np.argmin(front.vecs[:, r]))
            if front.vecs[i, FF] <= budget[FF]:
                return int(front.vecs[i, r])
        front = self.front(cycles, budget)
        return int(front.vecs[:, r].min()) if len(front) else None

    def over_budget_message(self, cycles: int) -> str:
        """What is over and by how much when no design of ``cycles`` cycles fits: resources
        that no design gets within budget, else per resource the least it needs when every
        other resource fits."""
        need = self.minimum_needs(cycles)
        over = [r for r in range(len(RESOURCES)) if need[r] > self.budget[r]]
        if not over:
            for r in range(len(RESOURCES)):
                budget = self.budget.copy()
                budget[r] = np.iinfo(np.int64).max // 4
                least = self._least_within(cycles, r, budget)
                if least is not None:
                    need[r] = least
                    over.append(r)
            others = "when everything else fits"
        else:
            others = "however folded"
        return "; ".join(
            f"{RESOURCES[r].upper()} {need[r]} > {self.budget[r]} (over by "
            f"{need[r] - self.budget[r]}) {others}"
            for r in over
        )


def frame_bits(model: ModelWrapper) -> tuple[int, int]:
    """Bits of one frame's input and output of the dataflow graph, packed without padding."""
    nodes = hw_nodes(model)
    first, last = getCustomOp(nodes[0]), getCustomOp(nodes[-1])
    return (
        int(np.prod(first.get_normal_input_shape()[1:])) * first.get_input_datatype().bitwidth(),
        int(np.prod(last.get_normal_output_shape()[1:])) * last.get_output_datatype().bitwidth(),
    )


def optimize_folding(
    model: ModelWrapper,
    board: Board,
    clock_mhz: float,
    fifo_depth: int | None = None,
    reserve: dict | None = None,
) -> FoldingPlan:
    """The fastest folding of ``model``'s layers within ``board``'s budget less ``reserve``
    (resources held back, by name); among equally fast ones, the cheapest. The FIFOs between
    layers are costed ``fifo_depth`` words deep (default one frame, what ``stitch`` inserts; a
    small depth where FIFO sizing will set them). Raises FoldingError naming what is over when
    nothing fits."""
    t0 = time.perf_counter()
    search = FoldingSearch(model, board, fifo_depth, reserve)
    io_cycles = io_bound_cycles(board, *frame_bits(model))
    counts = search.cycle_counts()
    if not search.fits(counts[-1]):
        raise FoldingError(
            f"no folding fits the {board.name} ({board.usable:.0%} of the device usable): it "
            f"needs {search.over_budget_message(counts[-1])}; choose a larger board, or lower "
            "the precision or the width"
        )
    lo, hi = 0, len(counts) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if search.fits(counts[mid]):
            hi = mid
        else:
            lo = mid + 1
    fastest = counts[lo]
    at = max(c for c in counts if c <= max(fastest, io_cycles))
    picks, vec = search.best(at)
    if fastest <= io_cycles:
        binding = "io"
    elif lo == 0:
        binding = "unfolded"
    else:
        need = search.minimum_needs(counts[lo - 1])
        over = [RESOURCES[r] for r in range(len(RESOURCES)) if need[r] > search.budget[r]]
        if over:
            binding = "+".join(over)
        else:
            use = vec / np.maximum(search.budget, 1)
            binding = "+".join(RESOURCES[r] for r in np.argsort(-use)[:2]) + " jointly"
    plan = search.plan(
        picks,
        vec,
        search.cycles_of(picks),
        binding,
        clock_mhz=clock_mhz,
        io_bound_cycles=io_cycles,
        compute_bound_fps=clock_mhz * 1e6 / search.compute_bound_cycles(),
        seconds=time.perf_counter() - t0,
        fifo_depth=fifo_depth,
        reserved=dict(reserve or {}),
    )
    return plan


PLANNED_FIFO_DEPTH = 2  # words; what a FIFO is costed at where sizing will set it


def fifo_resources(model: ModelWrapper) -> dict[str, int]:
    """The resources of the model's FIFOs under the resource model, by name (nonzero ones)."""
    fifos = [
        node_resources(getCustomOp(n)) for n in hw_nodes(model) if n.op_type == "StreamingFIFO"
    ]
    return {r: sum(f[r] for f in fifos) for r in RESOURCES if any(f[r] for f in fifos)}


def maximize_with_sizing(
    model: ModelWrapper,
    board: Board,
    clock_mhz: float,
    size: Callable | None,
    log: Callable[[str], None] = lambda line: None,
) -> tuple[FoldingPlan, ModelWrapper, object]:
    """The fastest folding within the board's budget, stitched, its FIFOs sized by ``size``
    (``size(stitched) -> (sized model, report)``, or None when sizing does not run).

    Sizing leaves most FIFOs 2 words deep, so with ``size`` the search costs them at
    ``PLANNED_FIFO_DEPTH`` words. Where the sized FIFOs then leave the design over the budget,
    it searches again with their resources held back; where they still do not fit (or sizing
    does not run), with one-frame FIFOs, as without sizing. Returns the plan, the stitched
    (sized) model and the sizing report (None if not sized)."""

    def attempt(depth, reserve):
        plan = optimize_folding(model, board, clock_mhz, depth, reserve)
        folded = stitch(model.transform(ApplyFolding(plan.folding)))
        sized = size(folded) if size else None
        return plan, *(sized or (folded, None))

    def over(folded) -> bool:
        return not estimate_network(folded, clock_mhz, board)["fits_board"]

    if size is None:
        return attempt(None, None)
    plan, folded, report = attempt(PLANNED_FIFO_DEPTH, None)
    if report is not None and over(folded):
        reserve = fifo_resources(folded)
        log(f"folding: the sized FIFOs do not fit beside it; searching again without {reserve}")
        plan, folded, report = attempt(PLANNED_FIFO_DEPTH, reserve)
    if report is None or over(folded):
        why = "sizing did not run" if report is None else "the sized FIFOs still do not fit"
        log(f"folding: {why}; searching again with one-frame FIFOs")
        plan, folded, report = attempt(None, None)
    return plan, folded, report
