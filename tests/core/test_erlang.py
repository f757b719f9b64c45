"""Erlang C against a published worked example, the M/M/1 and M/M/2 closed forms, and an
independent implementation (the pyworkforce package) over a grid of inputs."""

from __future__ import annotations

import itertools
import math

import pytest

from supportqa.core import erlang


def test_the_worked_example_of_100_contacts_in_half_an_hour():
    """Call Centre Helper, "Erlang C formula – made simple with an easy worked example": 100
    calls per 30 minutes, 180 s handling, 80% answered within 20 s, occupancy at most 85%,
    30% shrinkage: traffic 10 Erlangs. pyworkforce's documentation works the same example:
    14 agents (P(wait) 0.174, service level 0.888, occupancy 0.714), 20 with shrinkage."""
    staffing = erlang.required_agents(
        100,
        handling_seconds=180,
        interval_seconds=1800,
        target_level=0.8,
        target_seconds=20,
        max_occupancy=0.85,
        shrinkage=0.3,
    )
    assert staffing.traffic == pytest.approx(10.0)
    assert (staffing.agents, staffing.scheduled) == (14, 20)
    assert staffing.wait_probability == pytest.approx(0.174, abs=5e-4)
    assert staffing.service_level == pytest.approx(0.888, abs=5e-4)
    assert staffing.occupancy == pytest.approx(0.714, abs=5e-4)
    # With 11 agents the example's probability of waiting is 68.2%.
    assert erlang.wait_probability(11, 10.0) == pytest.approx(0.682, abs=5e-4)


@pytest.mark.parametrize("load", [0.1, 0.5, 0.9, 1.5, 1.99])
def test_closed_forms_of_one_and_two_agents(load):
    """Kleinrock, Queueing Systems I: M/M/1 waits with probability ρ = A; M/M/2 with
    A²/(2 + A)."""
    if load < 1:
        assert erlang.wait_probability(1, load) == pytest.approx(load)
        assert erlang.average_speed_of_answer(1, load, 60) == pytest.approx(load * 60 / (1 - load))
    assert erlang.wait_probability(2, load) == pytest.approx(load**2 / (2 + load))


def test_agents_match_pyworkforce_over_a_grid():
    from pyworkforce.queuing import ErlangC

    grid = itertools.product(
        [5, 37, 100, 480, 2000], [45, 180, 420], [10, 20, 60], [0.7, 0.8, 0.9], [0.85, 1.0],
        [0.0, 0.3],
    )  # fmt: skip
    for contacts, handling, target, level, occupancy, shrinkage in grid:
        theirs = ErlangC(
            transactions=contacts,
            aht=handling / 60,
            asa=target / 60,  # pyworkforce's "asa" is the target answer time
            interval=30,
            shrinkage=shrinkage,
        )
        expected = theirs.required_positions(service_level=level, max_occupancy=occupancy)
        ours = erlang.required_agents(
            contacts,
            handling_seconds=handling,
            interval_seconds=1800,
            target_level=level,
            target_seconds=target,
            max_occupancy=occupancy,
            shrinkage=shrinkage,
        )
        assert (ours.agents, ours.scheduled) == (expected["raw_positions"], expected["positions"])
        assert ours.service_level == pytest.approx(expected["service_level"], abs=1e-9)
        assert ours.wait_probability == pytest.approx(expected["waiting_probability"], abs=1e-9)


def test_overload_nothing_to_do_and_bad_inputs():
    assert erlang.wait_probability(5, 5.0) == 1.0
    assert erlang.service_level(5, 6.0, 60, 20) == 0.0
    assert math.isinf(erlang.average_speed_of_answer(3, 3.0, 60))
    idle = erlang.required_agents(
        0, handling_seconds=60, interval_seconds=3600, target_level=0.8, target_seconds=20
    )
    assert (idle.agents, idle.scheduled) == (0, 0)
    for bad in ({"target_level": 1.0}, {"shrinkage": 1.0}, {"max_occupancy": 0.0}):
        arguments = {"target_level": 0.8, **bad}
        with pytest.raises(ValueError):
            erlang.required_agents(
                10, handling_seconds=60, interval_seconds=3600, target_seconds=20, **arguments
            )
    with pytest.raises(ValueError, match="more than"):
        erlang.required_agents(
            1e9, handling_seconds=600, interval_seconds=60, target_level=0.8, target_seconds=20
        )
