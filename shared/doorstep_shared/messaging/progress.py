"""Whether a consumer is moving: the clock behind its liveness.

A consumer is *stalled* when it has work (lag, or a record in hand) and has finished no record
for longer than the stall limit, or when its loop has shown no sign of life for that long while
not processing a record (a fetch or commit that hangs). A consumer that waits with nothing to do
is never stalled, however long it waits. Times are ``time.monotonic()`` seconds.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ConsumerStats:
    handled: int = 0
    duplicates: int = 0
    skipped_unknown: int = 0
    dead_lettered: int = 0
    retries: int = 0


@dataclass(frozen=True)
class ConsumerProgress:
    handled: int
    duplicates: int
    skipped_unknown: int
    dead_lettered: int
    retries: int
    # Records on the assigned partitions not yet processed (fetched ones included); None with
    # no assignment or while no assigned partition's end offset is known yet.
    lag: int | None
    # Since a record last finished or the consumer last had nothing to do.
    seconds_since_progress: float
    stalled: bool


class ProgressClock:
    """What the consumer loop reports as it goes; judges stalls from it."""

    def __init__(self, stall_seconds: float, now: float) -> None:
        self.stall_seconds = stall_seconds
        self._moved_at = now  # a record finished, or there was nothing to do
        self._alive_at = now  # the loop came back from a poll, finished a record or reconnected
        self._processing_since: float | None = None

    def connecting(self, now: float) -> None:
        self._alive_at = now

    def polled(self, now: float, *, got_records: bool, lag: int | None) -> None:
        self._alive_at = now
        if not got_records and not lag:
            self._moved_at = now

    def processing(self, now: float) -> None:
        self._processing_since = now

    def finished(self, now: float) -> None:
        self._processing_since = None
        self._moved_at = now
        self._alive_at = now

    def interrupted(self) -> None:
        """The record in hand was given up (the loop stopped or restarts); nothing finished."""
        self._processing_since = None

    def snapshot(self, stats: ConsumerStats, lag: int | None, now: float) -> ConsumerProgress:
        busy = self._processing_since is not None
        waiting = now - self._moved_at
        has_work = busy or bool(lag)
        hung = not busy and now - self._alive_at > self.stall_seconds
        return ConsumerProgress(
            handled=stats.handled,
            duplicates=stats.duplicates,
            skipped_unknown=stats.skipped_unknown,
            dead_lettered=stats.dead_lettered,
            retries=stats.retries,
            lag=lag,
            seconds_since_progress=max(waiting, 0.0),
            stalled=(has_work and waiting > self.stall_seconds) or hung,
        )
