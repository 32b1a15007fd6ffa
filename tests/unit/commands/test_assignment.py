"""The judge assignment rule: balanced, deterministic, never conflicted, never over K."""

from __future__ import annotations

from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from commands.assignment import choose

judges = st.dictionaries(st.uuids(), st.integers(0, 20), max_size=12)


@given(judges, st.data(), st.integers(0, 5))
def test_the_chosen_are_the_least_loaded_free_judges_and_never_more_than_k(
    load: dict[UUID, int], data: st.DataObject, k: int
) -> None:
    ids = sorted(load, key=str)
    conflicted = set(data.draw(st.lists(st.sampled_from(ids), unique=True))) if ids else set()
    assigned = set(data.draw(st.lists(st.sampled_from(ids), unique=True))) if ids else set()

    chosen = choose(load, conflicted, assigned, k)

    assert not set(chosen) & (conflicted | assigned)
    assert len(chosen) == min(max(0, k - len(assigned)), len(set(load) - conflicted - assigned))
    assert len(set(chosen)) == len(chosen)
    passed_over = set(load) - conflicted - assigned - set(chosen)
    if chosen and passed_over:  # nobody left out had less open work than someone chosen
        assert max(load[j] for j in chosen) <= min(load[j] for j in passed_over)
    assert choose(dict(reversed(list(load.items()))), conflicted, assigned, k) == chosen


def test_a_new_judge_takes_the_next_submission() -> None:
    busy, new = UUID(int=1), UUID(int=2)
    assert choose({busy: 3, new: 0}, [], [], 1) == [new]


def test_judges_already_assigned_count_toward_k() -> None:
    a, b, c = UUID(int=1), UUID(int=2), UUID(int=3)
    assert choose({a: 0, b: 0, c: 0}, [], [a, b], 3) == [c]
    assert choose({a: 0, b: 0, c: 0}, [], [a, b, c], 3) == []
