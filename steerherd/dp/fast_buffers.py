"""Per-thread scratch memory of the compiled fast solver, kept between rounds and solves.

glibc maps a fresh array larger than its mmap threshold (128 KiB at first, raised as such
arrays are freed) afresh and returns it to the system when it is freed; the next one costs a
minor page fault for every 4 KiB it touches. In a process that holds no other large arrays
(a script, a sweep worker), the fast solver's fresh arrays cost ~850 faults a solve in the
hard case (biased, p = 0.8, k = 3, δ = 0.99, 2,001 × 401): ~2 ms of ~20
(``benchmarks/bench_fresh_process.py``). Most are the active set's arrays, rebuilt wider by
every round's :func:`steerherd.dp.fast_kernel.widen`, and the search's outputs.

Each of them is written into one of two buffer sets kept per thread: the one that does not
hold its input (the previous round's active set, or the previous sweep's output), so the
input is never overwritten while it is read. Arrays taken from here are views of the
buffers; they are valid until the second next call of the same kind in the same thread,
which the fast solver's rounds respect (nothing it returns is such a view). A set larger
than :data:`KEEP_BYTES` is not kept: a very large problem allocates afresh, as before.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from steerherd.types import FloatArray, IntArray

#: Largest float buffer (bytes) of the active set kept between calls (the int one is half
#: of it); a larger one is allocated for the call only. 8 MiB holds 2,001 nodes × 20 columns
#: five times over; at 20,001 nodes a solve's faults are a smaller part of its time.
KEEP_BYTES = 8 * 2**20

_LOCAL = threading.local()


def search_slot(mem_int: IntArray) -> list[Any]:
    """The search's output buffers (pairs: int, float; blocks: int, bound) it may write into.

    Not the set that holds ``mem_int`` (the previous sweep's pairs, its input). The caller
    stores the (possibly grown) buffers back into the returned list.
    """
    slots: list[list[Any]] | None = getattr(_LOCAL, "search", None)
    if slots is None:
        empty = [np.zeros((0, 4), np.int32), np.zeros((0, 6)), np.zeros((0, 8), np.int32),
                 np.zeros(0)]
        slots = _LOCAL.search = [list(empty), list(empty)]
    held = mem_int.size > 0 and mem_int.ctypes.data == slots[0][0].ctypes.data
    return slots[1] if held else slots[0]


def active_arrays(held: FloatArray, n: int, m: int
                  ) -> tuple[FloatArray, IntArray, FloatArray, IntArray, IntArray, FloatArray]:
    """Empty (q, side, reward, lo_g, lo_b, weights) for an active set of ``n`` nodes × ``m``.

    Shapes (n, m), and (4, n, m) for the weights; C-contiguous views of this thread's buffer
    set that does not hold ``held`` (an array of the set being widened).
    """
    sets: list[list[Any]] | None = getattr(_LOCAL, "active", None)
    if sets is None:
        sets = _LOCAL.active = [[np.zeros(0), np.zeros(0, np.int64)] for _ in range(2)]
    pick = sets[1] if np.may_share_memory(held, sets[0][0]) else sets[0]
    size = n * m
    if pick[0].size < 6 * size:
        floats, ints = np.empty(6 * size), np.empty(3 * size, np.int64)
        if floats.nbytes > KEEP_BYTES:
            return _views(floats, ints, n, m)
        pick[:] = [floats, ints]
    return _views(pick[0], pick[1], n, m)


def _views(floats: FloatArray, ints: IntArray, n: int, m: int
           ) -> tuple[FloatArray, IntArray, FloatArray, IntArray, IntArray, FloatArray]:
    size = n * m
    return (floats[:size].reshape(n, m), ints[:size].reshape(n, m),
            floats[size:2 * size].reshape(n, m), ints[size:2 * size].reshape(n, m),
            ints[2 * size:3 * size].reshape(n, m), floats[2 * size:6 * size].reshape(4, n, m))
