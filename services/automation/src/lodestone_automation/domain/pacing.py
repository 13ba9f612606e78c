"""A campaign's pace: its own rate and each recipient domain's, in the process sending it.

`limits` (moving windows in memory, the library behind Flask-Limiter) counts; a campaign waits
for its own window, and a recipient whose domain's window is full waits for a later pass."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


def per_minute(rate: int) -> RateLimitItem:
    # In 10-second windows where the rate allows: a smooth pace rather than a minute's burst.
    return RateLimitItemPerSecond(rate // 6, 10) if rate >= 6 else RateLimitItemPerMinute(rate)


@dataclass
class Pace:
    """The campaign's rate and each recipient domain's, in this process (one sends it)."""

    campaign: RateLimitItem
    domain: RateLimitItem
    limiter: MovingWindowRateLimiter = field(
        default_factory=lambda: MovingWindowRateLimiter(MemoryStorage())
    )

    def domain_allows(self, domain: str) -> bool:
        return self.limiter.hit(self.domain, "domain", domain)

    async def turn(self) -> None:
        """Wait until the campaign may send one more."""
        while not self.limiter.hit(self.campaign, "campaign"):
            reset = self.limiter.get_window_stats(self.campaign, "campaign").reset_time
            await asyncio.sleep(min(max(reset - time.time(), 0.05), 1.0))
