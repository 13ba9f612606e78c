"""Requests per API key per replica, with the answer SDKs honour: 429, `Retry-After` and
`X-RateLimit-Limit/-Remaining/-Reset` on every limited response.

Uses `limits` (the library behind slowapi and Flask-Limiter: maintained, tested window
algorithms) with a moving window in memory. The limit is per replica: N replicas behind a
load balancer take up to N times as much, which is what scaling ingestion out is for.
"""

from __future__ import annotations

import math
import time

from fastapi import HTTPException, Request, status
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from .auth import ApiKey


class FailedAuthLimit:
    """Failed checks per client address (or per account, with `by`): past the limit every
    request from it (for it) is told to come back later (429), so keys and passwords cannot
    be guessed at speed. The address is the connection's: X-Forwarded-For counts only from
    the proxies LODESTONE_TRUSTED_PROXIES names (see cli.py)."""

    def __init__(self, limit: str, what: str = "failed key checks from this address") -> None:
        self.item: RateLimitItem = parse(limit)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        self.what = what

    def _client(self, request: Request, by: str | None) -> str:
        if by is not None:
            return f"by:{by}"
        return request.client.host if request.client else "unknown"

    def check(self, request: Request, by: str | None = None) -> None:
        if not self.limiter.test(self.item, self._client(request, by)):
            raise self._refusal(request, by)

    def failed(self, request: Request, by: str | None = None) -> None:
        self.limiter.hit(self.item, self._client(request, by))

    def _refusal(self, request: Request, by: str | None) -> HTTPException:
        stats = self.limiter.get_window_stats(self.item, self._client(request, by))
        wait = max(math.ceil(stats.reset_time - time.time()), 1)
        return HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"too many {self.what}; retry after {wait} s",
            headers={"Retry-After": str(wait)},
        )


class RateLimits:
    def __init__(self, limit: str) -> None:
        """`limit` as `limits` reads it: "1000/second", "50000/minute", "100 per 10 seconds"."""
        self.item: RateLimitItem = parse(limit)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, request: Request, key: ApiKey) -> None:
        """Count this request against its key; 429 when over. Headers for the answer go to
        `request.state.rate_headers` (the app's middleware adds them to the response)."""
        allowed = self.limiter.hit(self.item, key.name)
        stats = self.limiter.get_window_stats(self.item, key.name)
        reset = max(stats.reset_time - time.time(), 0.0)
        headers = {
            "X-RateLimit-Limit": str(self.item.amount),
            "X-RateLimit-Remaining": str(max(stats.remaining, 0)),
            "X-RateLimit-Reset": str(math.ceil(reset)),
        }
        request.state.rate_headers = headers
        if not allowed:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                f"over the rate limit of {self.item.amount} per {self.item.multiples} "
                f"{self.item.GRANULARITY.name}(s) for key {key.name!r}; retry after "
                "Retry-After seconds",
                headers={**headers, "Retry-After": str(max(math.ceil(reset), 1))},
            )
