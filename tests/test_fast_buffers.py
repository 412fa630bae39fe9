"""The fast solver's per-thread scratch buffers (:mod:`steerherd.dp.fast_buffers`)."""

from __future__ import annotations

import threading

import numpy as np

from steerherd.dp import fast_buffers
from steerherd.dp.fast_buffers import active_arrays


def _shapes(out: tuple[np.ndarray, ...], n: int, m: int) -> None:
    assert [a.shape for a in out] == [(n, m)] * 5 + [(4, n, m)]
    assert [a.dtype.kind for a in out] == ["f", "i", "f", "i", "i", "f"]
    assert all(a.flags.c_contiguous for a in out)


def test_active_arrays_alternate_between_two_sets_and_never_overlap() -> None:
    """Each widening writes into the set that does not hold its input, and the six arrays of
    one call share no memory: writing one never changes another, nor the input."""
    start = np.zeros((7, 5))  # the exact candidates: in neither set
    first = active_arrays(start, 7, 10)
    _shapes(first, 7, 10)
    second = active_arrays(first[2], 7, 15)
    _shapes(second, 7, 15)
    third = active_arrays(second[2], 7, 20)
    for a in first:
        assert not any(np.may_share_memory(a, b) for b in second)
    for a in second:
        assert not any(np.may_share_memory(a, b) for b in third)
    for k, a in enumerate(third):
        a.fill(k + 1)
    for k, a in enumerate(third):
        assert np.all(a == k + 1), k  # no two arrays of one call overlap


def test_a_set_larger_than_keep_bytes_is_not_kept(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(fast_buffers, "KEEP_BYTES", 6 * 8 * 100)
    monkeypatch.setattr(fast_buffers, "_LOCAL", threading.local())  # no buffers yet
    held = np.zeros((1, 1))
    small = active_arrays(held, 10, 10)  # 6·100 floats: kept
    assert active_arrays(held, 10, 10)[0].ctypes.data == small[0].ctypes.data
    big = active_arrays(held, 10, 11)  # over the limit: fresh, and the small set stays
    assert not np.may_share_memory(big[0], small[0])
    assert active_arrays(held, 10, 10)[0].ctypes.data == small[0].ctypes.data


def test_buffers_are_per_thread() -> None:
    held = np.zeros((1, 1))
    mine = active_arrays(held, 9, 9)
    box: list[tuple[np.ndarray, ...]] = []
    worker = threading.Thread(target=lambda: box.append(active_arrays(held, 9, 9)))
    worker.start()
    worker.join()
    assert not any(np.may_share_memory(a, b) for a in mine for b in box[0])
