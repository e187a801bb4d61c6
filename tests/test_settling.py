"""Bounded re-reads: the target gets its whole settle time however slowly it answers, and only where waiting can
settle a claim."""
from __future__ import annotations

import time

import pytest

from conformance.config import resolve
from conformance.settling import settled


def test_a_read_slower_than_the_settle_time_is_followed_by_one_that_starts_after_it():
    started, reads = time.monotonic(), []

    def slow_read() -> float:
        reads.append(time.monotonic() - started)
        time.sleep(0.3)  # each answer takes longer than the whole settle time
        return reads[-1]
    settled(slow_read, lambda began: began >= 0.2, settle_s=0.2)
    assert len(reads) == 2 and reads[-1] >= 0.2


def test_a_read_that_agrees_ends_the_wait():
    reads = []
    assert settled(lambda: reads.append(1) or len(reads), lambda n: n == 3, settle_s=30) == 3


def test_a_target_that_never_agrees_is_read_a_bounded_number_of_times():
    reads, waits = [], []
    settled(lambda: reads.append(1), lambda _: False, settle_s=0.5, waits=waits)
    assert 2 <= len(reads) <= 4 and len(waits) == 1  # 0.1 + 0.2 + 0.2 s of pauses


@pytest.mark.parametrize("profile, flag, expected", [("default", None, 3.0), ("contract", None, 0.0),
                                                     ("contract", "2", 2.0), ("quick", "0", 0.0)])
def test_lists_are_waited_for_only_where_a_claim_needs_state_unless_told(profile, flag, expected):
    config = resolve(base_url="http://127.0.0.1:9/v1", api_key="k", profile=profile, settle=flag, env={})
    assert config.settle == expected
