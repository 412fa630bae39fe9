"""Requests- and tokens-per-minute limits per endpoint: token buckets shared by its clients.

A bucket holds at most one minute's allowance and refills continuously; a call takes one
request and its token estimate (prompt characters / 4 + ``max_tokens``, an upper bound for
English text) and waits, interruptibly, until both are available.
"""

from __future__ import annotations

import threading
import time

from steerherd.llm.types import Interrupted


class RateLimiter:
    """Token buckets for requests and tokens per minute (None: unlimited).

    Args:
        requests_per_minute: RPM limit, or None.
        tokens_per_minute: TPM limit, or None.
    """

    def __init__(self, requests_per_minute: float | None = None,
                 tokens_per_minute: float | None = None) -> None:
        self.rpm = requests_per_minute
        self.tpm = tokens_per_minute
        self._lock = threading.Lock()
        now = time.monotonic()
        self._req = requests_per_minute or 0.0
        self._tok = tokens_per_minute or 0.0
        self._last = now

    def acquire(self, tokens: int, stop: threading.Event | None = None) -> float:
        """Wait until one request and ``tokens`` tokens may be sent; return the seconds waited.

        Raises:
            Interrupted: ``stop`` was set while waiting.
        """
        if self.rpm is None and self.tpm is None:
            return 0.0
        waited = 0.0
        # a call larger than a minute's allowance waits for a full bucket
        need = min(float(tokens), self.tpm) if self.tpm else 0.0
        while True:
            with self._lock:
                now = time.monotonic()
                dt, self._last = now - self._last, now
                if self.rpm:
                    self._req = min(self.rpm, self._req + dt * self.rpm / 60.0)
                if self.tpm:
                    self._tok = min(self.tpm, self._tok + dt * self.tpm / 60.0)
                need_r = 0.0 if not self.rpm else max(0.0, 1.0 - self._req) * 60.0 / self.rpm
                need_t = 0.0 if not self.tpm else max(0.0, need - self._tok) * 60.0 / self.tpm
                wait = max(need_r, need_t)
                if wait <= 0.0:
                    if self.rpm:
                        self._req -= 1.0
                    if self.tpm:
                        self._tok -= need
                    return waited
            if stop is not None and stop.wait(wait):
                raise Interrupted("interrupted while waiting for the rate limit")
            if stop is None:
                time.sleep(wait)
            waited += wait


_LIMITERS: dict[tuple[str, float | None, float | None], RateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def limiter_for(endpoint: str, rpm: float | None, tpm: float | None) -> RateLimiter | None:
    """The one limiter of an endpoint (clients of several roles on it share it)."""
    if rpm is None and tpm is None:
        return None
    from steerherd.llm.types import normalise_endpoint

    key = (normalise_endpoint(endpoint), rpm, tpm)
    with _LIMITERS_LOCK:
        if key not in _LIMITERS:
            _LIMITERS[key] = RateLimiter(rpm, tpm)
        return _LIMITERS[key]
