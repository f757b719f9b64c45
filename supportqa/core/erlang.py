"""Erlang C staffing: how many agents an interval needs for a service-level target.

The M/M/N queue (Poisson arrivals, exponential handling times, N agents, nobody hangs up):
- traffic A = arrivals × average handling time / interval length, in Erlangs;
- the probability that a contact waits, Erlang C, computed from Erlang B by the stable
  recursion B(0) = 1, B(n) = A·B(n−1) / (n + A·B(n−1)), then C = N·B / (N − A·(1 − B)) for
  N > A (with N ≤ A the queue grows without end: every contact waits);
- service level (share answered within t) = 1 − C·e^(−(N − A)·t/AHT);
- average speed of answer = C·AHT / (N − A); occupancy = A / N.
Agents needed: the fewest N with the service level at or above the target and the occupancy at
or below its cap. Shrinkage (breaks, training, absence) is then added on top: scheduled =
⌈N / (1 − shrinkage)⌉. Erlang C ignores abandonment, so it errs on the side of more agents.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_AGENTS = 100_000  # a guard against a traffic figure off by orders of magnitude


@dataclass(frozen=True)
class Staffing:
    traffic: float  # Erlangs
    agents: int  # on contacts at once
    scheduled: int  # with shrinkage
    service_level: float  # 0–1, with `agents`
    wait_probability: float
    average_speed_of_answer: float  # seconds
    occupancy: float


def traffic(contacts: float, handling_seconds: float, interval_seconds: float) -> float:
    if contacts < 0 or handling_seconds <= 0 or interval_seconds <= 0:
        raise ValueError("contacts must be ≥ 0 and the handling time and interval positive")
    return contacts * handling_seconds / interval_seconds


def wait_probability(agents: int, load: float) -> float:
    """Erlang C: the probability that a contact has to wait."""
    if agents < 1 or load < 0:
        raise ValueError("at least one agent, and a traffic of at least 0")
    if load == 0:
        return 0.0
    if agents <= load:
        return 1.0
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = load * blocking / (n + load * blocking)
    return agents * blocking / (agents - load * (1 - blocking))


def service_level(
    agents: int, load: float, handling_seconds: float, target_seconds: float
) -> float:
    """The share of contacts answered within `target_seconds`."""
    if agents <= load:
        return 0.0 if load > 0 else 1.0
    waiting = wait_probability(agents, load)
    return 1.0 - waiting * math.exp(-(agents - load) * target_seconds / handling_seconds)


def average_speed_of_answer(agents: int, load: float, handling_seconds: float) -> float:
    if agents <= load:
        return math.inf
    return wait_probability(agents, load) * handling_seconds / (agents - load)


def required_agents(
    contacts: float,
    *,
    handling_seconds: float,
    interval_seconds: float,
    target_level: float,
    target_seconds: float,
    max_occupancy: float = 1.0,
    shrinkage: float = 0.0,
) -> Staffing:
    """The fewest agents meeting the service-level target and the occupancy cap."""
    if not 0 < target_level < 1:
        raise ValueError("the service-level target is a share between 0 and 1, exclusive")
    if not 0 < max_occupancy <= 1:
        raise ValueError("the occupancy cap is a share between 0 (exclusive) and 1")
    if not 0 <= shrinkage < 1:
        raise ValueError("shrinkage is a share from 0 up to (not including) 1")
    load = traffic(contacts, handling_seconds, interval_seconds)
    if load == 0:
        return Staffing(0.0, 0, 0, 1.0, 0.0, 0.0, 0.0)
    agents = max(1, math.floor(load) + 1, math.ceil(load / max_occupancy))
    while agents <= MAX_AGENTS:
        if service_level(agents, load, handling_seconds, target_seconds) >= target_level:
            break
        agents += 1
    else:
        raise ValueError(f"more than {MAX_AGENTS} agents: check the volume and handling time")
    return Staffing(
        traffic=load,
        agents=agents,
        scheduled=math.ceil(agents / (1 - shrinkage) - 1e-9),
        service_level=service_level(agents, load, handling_seconds, target_seconds),
        wait_probability=wait_probability(agents, load),
        average_speed_of_answer=average_speed_of_answer(agents, load, handling_seconds),
        occupancy=load / agents,
    )
