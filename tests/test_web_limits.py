"""The per-address token bucket of the web server, on a clock the test moves."""

from __future__ import annotations

from coalition_bot.web.limits import MAX_ADDRESSES, RateLimiter


def test_a_burst_then_one_request_per_interval() -> None:
    now = [0.0]
    limiter = RateLimiter(6, clock=lambda: now[0])  # 6 a minute: one every 10 s
    assert [limiter.take("a") for _ in range(6)] == [0.0] * 6
    assert limiter.take("a") == 10.0  # refused, told how long to wait
    assert limiter.take("b") == 0.0  # another address has its own bucket
    now[0] = 10.0
    assert limiter.take("a") == 0.0
    assert limiter.take("a") > 0
    now[0] = 1000.0  # a long pause fills the bucket, never past its size
    assert [limiter.take("a") for _ in range(7)].count(0.0) == 6


def test_the_table_of_addresses_stays_bounded() -> None:
    limiter = RateLimiter(60, clock=lambda: 0.0)
    for n in range(MAX_ADDRESSES + 50):
        limiter.take(f"10.0.{n // 256}.{n % 256}")
    assert len(limiter._buckets) == MAX_ADDRESSES
