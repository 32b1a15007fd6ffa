"""A partition's runs: a relay batch's share at a time, bounded in size and in waiting."""

from __future__ import annotations

import asyncio
import time
from typing import Any, cast

import pytest
from aio_pika.abc import AbstractIncomingMessage

from workers import consumer
from workers.consumer import next_run


class Delivered:
    """What ``next_run`` reads of a delivery: its headers."""

    def __init__(self, **headers: Any) -> None:
        self.headers = headers


def inbox_of(*messages: Delivered) -> asyncio.Queue[AbstractIncomingMessage]:
    inbox: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
    for message in messages:
        inbox.put_nowait(cast(AbstractIncomingMessage, message))
    return inbox


def event(position: int, through: int | None = None) -> Delivered:
    if through is None:
        return Delivered(position=position, partition=0)
    return Delivered(position=position, partition=0, through=through)


async def test_a_run_ends_with_the_share_that_says_through() -> None:
    inbox = inbox_of(event(1), event(3), event(4, through=6), event(7), event(9, through=9))
    first = await next_run(inbox)
    assert [m.headers["position"] for m in first] == [1, 3, 4]
    second = await next_run(inbox)
    assert [m.headers["position"] for m in second] == [7, 9]


async def test_a_tick_ends_a_run() -> None:
    inbox = inbox_of(event(1), Delivered(position=5, partition=0, tick=True), event(6))
    assert len(await next_run(inbox)) == 2
    assert inbox.qsize() == 1


async def test_a_run_waits_for_the_rest_of_its_share() -> None:
    inbox = inbox_of(event(1))

    async def later() -> None:
        await asyncio.sleep(0.01)
        inbox.put_nowait(cast(AbstractIncomingMessage, event(2, through=2)))

    arriving = asyncio.create_task(later())
    run = await next_run(inbox)
    await arriving
    assert [m.headers["position"] for m in run] == [1, 2]


async def test_a_share_whose_end_never_comes_is_applied_after_the_wait(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(consumer, "RUN_WAIT_SECONDS", 0.02)
    began = time.monotonic()
    run = await next_run(inbox_of(event(1), event(2)))
    assert [m.headers["position"] for m in run] == [1, 2]
    assert 0.015 < time.monotonic() - began < 1.0


async def test_a_run_holds_at_most_a_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(consumer, "BATCH", 3)
    inbox = inbox_of(*(event(p) for p in range(1, 6)), event(6, through=6))
    assert len(await next_run(inbox)) == 3
    assert len(await next_run(inbox)) == 3
