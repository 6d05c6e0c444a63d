"""The principal cache: pure, with a fake clock."""

from __future__ import annotations

from service.auth.cache import MAX_ENTRIES, PrincipalCache
from service.auth.service import Principal

ALICE = Principal("key_1", "team-a", is_admin=False)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def live_cache(ttl: float = 60.0, clock: Clock | None = None) -> PrincipalCache:
    cache = PrincipalCache(ttl, clock=clock or Clock())
    cache.set_live(True)
    return cache


def test_a_live_cache_returns_what_it_was_given_until_the_ttl() -> None:
    clock = Clock()
    cache = live_cache(ttl=60, clock=clock)
    cache.put("ftk_a", ALICE, cache.generation)
    assert cache.get("ftk_a") == ALICE
    assert cache.get("ftk_b") is None
    clock.now += 60.5
    assert cache.get("ftk_a") is None


def test_nothing_is_cached_before_the_listener_is_live_or_after_it_drops() -> None:
    cache = PrincipalCache(60)
    cache.put("ftk_a", ALICE, cache.generation)
    assert cache.get("ftk_a") is None
    cache.set_live(True)
    cache.put("ftk_a", ALICE, cache.generation)
    assert cache.get("ftk_a") == ALICE
    cache.set_live(False)  # notices may be missed from now on: forget, and stop caching
    assert cache.get("ftk_a") is None
    cache.put("ftk_a", ALICE, cache.generation)
    assert cache.get("ftk_a") is None


def test_going_live_again_starts_empty() -> None:
    cache = live_cache()
    cache.put("ftk_a", ALICE, cache.generation)
    cache.set_live(True)  # a reconnect: what was missed meanwhile is unknown
    assert cache.get("ftk_a") is None


def test_a_revocation_notice_forgets_every_key() -> None:
    cache = live_cache()
    cache.put("ftk_a", ALICE, cache.generation)
    cache.on_revoked("key_other")
    assert cache.get("ftk_a") is None


def test_a_lookup_that_began_before_a_revocation_does_not_store_its_answer() -> None:
    cache = live_cache()
    began = cache.generation
    cache.on_revoked("key_1")  # arrives while the lookup is in flight
    cache.put("ftk_a", ALICE, began)
    assert cache.get("ftk_a") is None


def test_a_ttl_of_zero_turns_the_cache_off() -> None:
    cache = live_cache(ttl=0)
    cache.put("ftk_a", ALICE, cache.generation)
    assert not cache.enabled
    assert cache.get("ftk_a") is None


def test_a_full_cache_starts_over_instead_of_growing() -> None:
    cache = live_cache()
    for i in range(MAX_ENTRIES):
        cache.put(f"ftk_{i}", ALICE, cache.generation)
    cache.put("ftk_last", ALICE, cache.generation)
    assert cache.get("ftk_0") is None
    assert cache.get("ftk_last") == ALICE
