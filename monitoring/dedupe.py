"""Recently seen CloudEvents, so that a resent one is acknowledged without being stored twice."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable


class Recent:
    """The last ``size`` event digests seen, each remembered for at most ``max_age_s``.

    A digest covers ``ce-id``, ``ce-type`` and the body (``cloudevents.parse``): a resend matches
    it; a client that reuses its ``Ce-Id`` for another inference does not. The window is bounded
    both ways, so memory is too (about 200 bytes per digest).
    """

    def __init__(self, size: int, max_age_s: float, clock: Callable[[], float]) -> None:
        self.size, self.max_age_s, self.clock = size, max_age_s, clock
        self._seen: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._seen)

    def add(self, digest: str) -> bool:
        """Remember ``digest``; False when it was already in the window (a duplicate)."""
        now = self.clock()
        while self._seen and now - next(iter(self._seen.values())) > self.max_age_s:
            self._seen.popitem(last=False)
        if digest in self._seen:
            return False
        self._seen[digest] = now
        if len(self._seen) > self.size:
            self._seen.popitem(last=False)
        return True

    def forget(self, digest: str) -> None:
        """Drop ``digest`` (its event was refused or not stored: a resend must be taken)."""
        self._seen.pop(digest, None)
