"""Rate limits for the public pages: a token bucket per client address and one per link.

The pages face the internet and each refused guess used to cost an audit row under a
global lock; a bucket per address stops one client from flooding, and a bucket per link
stops many addresses from hammering one link (the code's own lock stops guessing after a
few wrong codes, this stops the traffic before it reaches the case store).

In-process buckets are enough for one process per replica: each replica limits what it
sees (n replicas allow n times the rate, which the figures leave room for). The buckets
live in a bounded LRU map, so a flood of distinct keys costs memory for at most
`max_keys` of them; an evicted key starts again with a full bucket, which only ever errs
towards letting a person in.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    """`burst` requests at once, then one every `every` seconds."""

    burst: int
    every: float


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets by key. `allow` is O(1) and never awaits: it runs on the event loop."""

    def __init__(
        self, rate: Rate, max_keys: int = 50_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = rate
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def allow(self, key: str) -> bool:
        """Take one token from `key`'s bucket; False when it is empty."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(tokens=float(self._rate.burst), updated=now)
            self._buckets[key] = bucket
            if len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            refill = (now - bucket.updated) / self._rate.every
            bucket.tokens = min(float(self._rate.burst), bucket.tokens + refill)
            bucket.updated = now
        if bucket.tokens < 1:
            return False
        bucket.tokens -= 1
        return True

    def retry_after(self, key: str) -> int:
        """Whole seconds until `key` has a token again (for the Retry-After header)."""
        bucket = self._buckets.get(key)
        if bucket is None or bucket.tokens >= 1:
            return 0
        return max(1, int((1 - bucket.tokens) * self._rate.every + 0.999))


# Per client address: a person opening the page, mistyping a code a few times and
# downloading is far below this; a script is stopped after the burst.
ADDRESS_RATE = Rate(burst=60, every=1.0)
# Per link (its token): the code locks after five wrong codes anyway; this bounds the rest.
LINK_RATE = Rate(burst=20, every=3.0)


def client_address(remote: str | None, forwarded_for: str | None, trusted_hops: int) -> str:
    """The client's address: the peer's, or with `trusted_hops` proxies in front (an ingress),
    the address the nearest of them saw, taken from the right of X-Forwarded-For (the left
    part is whatever the client wrote)."""
    if trusted_hops > 0 and forwarded_for:
        hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
        if len(hops) >= trusted_hops:
            return hops[-trusted_hops]
    return remote or "unknown"
