"""Fair, skills-based assignment (issue #13 §2), simulated over 1,000 requests."""

from __future__ import annotations

import random

from supportqa.core.assignment import Candidate, pick


def test_a_thousand_requests_spread_evenly_and_skills_come_first():
    """Three agents with the skill at level 3, one at level 2, two without; capacity 200
    each, nobody finishes a request. The level-3 agents take requests until full, within one
    of each other at every moment; the level-2 agent only when they are full; those without
    the skill only when everyone with it is full; nobody past capacity."""
    rng = random.Random(13)
    people = [
        Candidate(1, "Ann", 3, 0, 200), Candidate(2, "Bo", 3, 0, 200),
        Candidate(3, "Cy", 3, 0, 200), Candidate(4, "Di", 2, 0, 200),
        Candidate(5, "Ed", 0, 0, 200), Candidate(6, "Flo", 0, 0, 200),
    ]  # fmt: skip
    rng.shuffle(people)
    loads = {p.key: 0 for p in people}
    for request in range(1000):
        current = [
            Candidate(p.key, p.name, p.skill, loads[p.key], p.capacity, float(request))
            for p in people
        ]
        choice = pick(current, "Billing inquiry")
        chosen = choice.candidate
        assert chosen is not None
        skilled_free = [c for c in current if c.skill > 0 and c.free]
        if chosen.skill == 0:
            assert skilled_free == []  # nobody with the skill had capacity
        if chosen.skill == 2:
            assert all(not c.free for c in current if c.skill == 3)
        loads[chosen.key] += 1
        top = [loads[k] for k in (1, 2, 3)]
        assert max(top) - min(top) <= 1
        assert loads[chosen.key] <= 200
    assert [loads[k] for k in (1, 2, 3, 4)] == [200, 200, 200, 200]
    assert sorted([loads[5], loads[6]]) == [100, 100]
    assert (
        pick([Candidate(1, "Ann", 3, 200, 200)], "Billing inquiry").reason
        == "nobody has capacity left: a lead assigns it"
    )


def test_the_reason_says_why():
    choice = pick(
        [Candidate(1, "Ann", 3, 2, 10), Candidate(2, "Bo", 3, 1, 10), Candidate(3, "Cy", 1, 0, 10)],
        "Complaint",
    )
    assert choice.candidate.name == "Bo"
    assert choice.reason == (
        "Bo: skill in Complaint level 3 (the highest free); 1 open request "
        "(the fewest of 2 equally skilled)"
    )
    fallback = pick([Candidate(1, "Ann", 0, 0, 5)], "Complaint")
    assert (
        fallback.reason == "Ann: nobody with the Complaint skill has capacity left; 0 open requests"
    )


def test_people_on_shift_come_first_even_without_the_skill():
    from supportqa.core.assignment import Candidate, pick

    off = Candidate(1, "Off Expert", skill=5, load=0, capacity=5, on_shift=False)
    on = Candidate(2, "On Novice", skill=0, load=3, capacity=5)
    skilled_on = Candidate(3, "On Skilled", skill=2, load=4, capacity=5)
    assert pick([off, on, skilled_on], "Billing").candidate == skilled_on
    chosen = pick([off, on], "Billing")
    assert chosen.candidate == on
    assert chosen.reason == (
        "On Novice: nobody with the Billing skill is on shift with capacity left; 3 open requests"
    )
    nobody_working = pick([off, Candidate(2, "Off Novice", 0, 0, 5, on_shift=False)], "Billing")
    assert nobody_working.candidate == off
    assert nobody_working.reason.endswith("nobody is on shift with capacity left; 0 open requests")
