"""Progress reporting: one callback shape from every engine up to the job's WebSocket.

A :data:`Progress` is called with the fraction of the work done (0..1) and the name of the stage it is in.
An engine that runs another engine for one stretch of its own work hands it ``within(progress, start, end)``;
the job's context (``audio.jobs.JobContext``) turns the fraction into the percent the studio shows.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[float, str], None]


def report(progress: Progress | None, fraction: float, stage: str) -> None:
    """Tell ``progress`` (when there is one) that ``fraction`` of the work is done, clamped to 0..1."""
    if progress is not None:
        progress(min(1.0, max(0.0, float(fraction))), stage)


def within(progress: Progress | None, start: float, end: float) -> Progress | None:
    """A callback for one part of the work: the part's own 0..1 lands on ``start..end`` of ``progress``."""
    if progress is None:
        return None

    def part(fraction: float, stage: str) -> None:
        report(progress, start + (end - start) * min(1.0, max(0.0, float(fraction))), stage)

    return part


def throttled(progress: Progress | None) -> Progress:
    """``progress`` called only when the whole percent or the stage changes (a model reports thousands of steps);
    a callback that does nothing when there is no ``progress``."""
    last: list[tuple[int, str]] = []

    def changed(fraction: float, stage: str) -> None:
        key = (round(100 * min(1.0, max(0.0, fraction))), stage)
        if not last or key != last[0]:
            last[:] = [key]
            report(progress, fraction, stage)

    return changed
