"""Choosing the representative for a request (PRODUCT.md §3.1 step 3): the people on shift
with the request category's skill who have capacity left; among them the most skilled, then
the least loaded, then the one who waited longest for a request. Someone on shift without the
skill comes before someone off shift with it (the request should not wait for a shift).
Django-free: the workflow app gives the candidates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    key: int  # the person's id
    name: str
    skill: int  # the category's skill level, 0 = none (1 novice … 5 expert)
    load: int  # open requests now
    capacity: int  # open requests they may hold
    last_assigned: float = 0.0  # when they last got one (epoch seconds; 0 = never)
    on_shift: bool = True  # working now (everyone, when no shifts are recorded)

    @property
    def free(self) -> bool:
        return self.load < self.capacity


@dataclass(frozen=True)
class Choice:
    candidate: Candidate | None
    reason: str


def pick(candidates: Sequence[Candidate], category: str) -> Choice:
    """The representative for a request of `category`, with the reason in words. Someone
    without the skill is chosen only when nobody with it has capacity left; nobody when no
    one has capacity."""
    free = [c for c in candidates if c.free]
    working = [c for c in free if c.on_shift]
    pool = (
        [c for c in working if c.skill > 0] or working or [c for c in free if c.skill > 0] or free
    )
    if not pool:
        return Choice(None, "nobody has capacity left: a lead assigns it")
    chosen = min(pool, key=lambda c: (-c.skill, c.load, c.last_assigned, c.key))
    peers = [c for c in pool if c.skill == chosen.skill]
    if chosen.skill:
        why = f"skill in {category} level {chosen.skill}" + (
            " (the highest free)" if len({c.skill for c in pool}) > 1 else ""
        )
    elif any(c.skill > 0 for c in free):
        why = f"nobody with the {category} skill is on shift with capacity left"
    else:
        why = f"nobody with the {category} skill has capacity left"
    if not chosen.on_shift:
        why += "; nobody is on shift with capacity left"
    load = f"{chosen.load} open request{'s' if chosen.load != 1 else ''}"
    if len(peers) > 1:
        load += f" (the fewest of {len(peers)} equally skilled)"
    return Choice(chosen, f"{chosen.name}: {why}; {load}")
