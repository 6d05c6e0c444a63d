"""Authenticated API keys, remembered in each API process so most requests skip the key lookup.

Revocation must still take effect at once, so the cache is only used while it can hear about
revocations: `revoke_key` sends a Postgres NOTIFY in its transaction, every API process LISTENs
(service.db.notify) and forgets all it holds when one arrives. While the LISTEN connection is
down nothing is cached (every request looks its key up), and a reconnect starts empty. A TTL
bounds each entry as a second line of defence.

A lookup that started before a revocation must not store its (now stale) answer after it: the
generation, bumped by every forget, is taken before the lookup and checked when storing.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from service.auth.keys import hash_key
from service.auth.service import Principal

MAX_ENTRIES = 10_000


class PrincipalCache:
    def __init__(self, ttl: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._entries: dict[str, tuple[float, Principal]] = {}
        self._live = False
        self.generation = 0

    @property
    def enabled(self) -> bool:
        return self._live and self.ttl > 0

    def get(self, presented: str) -> Principal | None:
        if not self.enabled:
            return None
        found = self._entries.get(hash_key(presented))
        if found is None or found[0] < self._clock():
            return None
        return found[1]

    def put(self, presented: str, principal: Principal, generation: int) -> None:
        """Store a lookup's answer unless a forget happened since it began (`generation`)."""
        if not self.enabled or generation != self.generation:
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()  # rare; a full cache of live keys simply refills
        self._entries[hash_key(presented)] = (self._clock() + self.ttl, principal)

    def forget_all(self) -> None:
        self._entries.clear()
        self.generation += 1

    def on_revoked(self, _key_id: str) -> None:
        # Revocations are rare: forgetting everything is simpler than an index by key id.
        self.forget_all()

    def set_live(self, live: bool) -> None:
        """Listening (True) or possibly deaf (False): either way, what is held may be stale."""
        self._live = live
        self.forget_all()
