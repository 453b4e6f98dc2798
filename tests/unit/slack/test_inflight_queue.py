"""Handed-off work runs a bounded number at a time, in arrival order; what a running
piece hands off continues it at once; on shutdown a slash command that never started is
told, not run, and one the drain's end cuts off is told so."""

from __future__ import annotations

import asyncio

from mava_bridge.slack.inflight import MAX_DEFER_SECONDS, InFlight, Untold


class Recorder:
    def __init__(self) -> None:
        self.running = 0
        self.most = 0
        self.started: list[str] = []
        self.release = asyncio.Event()

    async def work(self, name: str) -> str:
        self.started.append(name)
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            await self.release.wait()
        finally:
            self.running -= 1
        return name


async def test_at_most_the_limit_run_at_once_and_the_rest_start_in_arrival_order() -> None:
    inflight = InFlight(limit=3)
    recorder = Recorder()
    names = [f"w{i}" for i in range(10)]
    tasks = [inflight.spawn(recorder.work(name), name="command") for name in names]
    assert inflight.count == 10  # counted at once: spawning never waits

    while len(recorder.started) < 3:  # noqa: ASYNC110 - loop turns, no clock
        await asyncio.sleep(0)
    await asyncio.sleep(0.05)
    assert recorder.started == names[:3]
    assert inflight.count - recorder.running == 7  # still counted, waiting their turn

    recorder.release.set()
    assert [await task for task in tasks] == names
    assert recorder.started == names
    assert recorder.most == 3
    assert await inflight.wait_idle(1.0)


async def test_work_handed_off_by_running_work_continues_it_at_once() -> None:
    inflight = InFlight(limit=1)
    recorder = Recorder()
    child: list[asyncio.Task[str]] = []

    async def dispatch() -> None:  # as the door's Bolt dispatch hands off a listener's work
        child.append(inflight.spawn(recorder.work("listener"), name="command"))

    inflight.spawn(dispatch(), name="command")
    waiting = inflight.spawn(recorder.work("next request"), name="command")
    while not recorder.started:  # noqa: ASYNC110
        await asyncio.sleep(0)
    await asyncio.sleep(0.05)
    # The listener's work took the dispatch's place; the next request waits its turn.
    assert recorder.started == ["listener"]
    recorder.release.set()
    assert await child[0] == "listener"
    assert await waiting == "next request"


async def test_shutdown_tells_a_queued_command_and_starts_other_queued_work() -> None:
    inflight = InFlight(limit=1)
    recorder = Recorder()
    told: list[str] = []

    def untold(name: str) -> Untold:
        async def tell(started: bool) -> None:
            told.append(f"{name}, started: {started}")

        return tell

    blocker = inflight.spawn(recorder.work("running"), name="command")
    command = inflight.spawn(
        recorder.work("queued command"), name="command", untold=untold("queued command")
    )
    event = inflight.spawn(recorder.work("queued event"), name="event")
    while not recorder.started:  # noqa: ASYNC110
        await asyncio.sleep(0)

    async def finish_running_late() -> None:
        await asyncio.sleep(0.3)  # past the start window (half of 0.4 s)
        recorder.release.set()

    releasing = asyncio.create_task(finish_running_late())
    assert await inflight.finish(0.4) is True
    await releasing
    await asyncio.gather(blocker, command, event)
    assert told == ["queued command, started: False"]
    assert recorder.started == ["running", "queued event"]  # the command never ran
    assert await inflight.wait_idle(1.0)


async def test_queued_work_starts_at_once_when_shutdown_begins() -> None:
    """The pause for a burst's acks ends when the doors start refusing requests."""
    inflight = InFlight(limit=5)
    recorder = Recorder()
    recorder.release.set()
    loop = asyncio.get_running_loop()

    async def requests_never_pause() -> None:
        while True:
            inflight.request_arrived()
            await asyncio.sleep(0.001)

    requests = asyncio.create_task(requests_never_pause())
    inflight.request_arrived()
    inflight.spawn(recorder.work("a"), name="command")
    # Held back while requests keep coming. A few loop turns, not a wall-clock wait: on a
    # loaded machine a 20-ms gap between two requests (QUIET_SECONDS) is a real pause.
    for _ in range(5):
        await asyncio.sleep(0)
    assert recorder.started == []
    stopping = loop.time()
    requests.cancel()  # the doors refuse requests from here on
    assert await inflight.finish(5.0) is True
    assert recorder.started == ["a"]
    assert loop.time() - stopping < 0.5  # not MAX_DEFER_SECONDS (1 s) after its hand-off


async def test_a_command_the_drains_end_cuts_off_is_told_it_may_have_been_done() -> None:
    """A command's work, and what it hands off (Bolt's listener hands off the real work),
    still running when the drain ends is cancelled, and its person is told once."""
    inflight = InFlight(limit=5)
    recorder = Recorder()  # never released: runs past the drain
    told: list[bool] = []

    async def tell(started: bool) -> None:
        told.append(started)

    async def dispatch() -> None:  # as the doors' Bolt dispatch: hands the work on
        inflight.spawn(recorder.work("reply"), name="command")
        await recorder.release.wait()

    inflight.spawn(dispatch(), name="command", untold=tell)
    while not recorder.started:  # noqa: ASYNC110
        await asyncio.sleep(0)
    assert await inflight.finish(0.2) is False
    assert told == [True]  # once, though both tasks were cut off
    assert await inflight.wait_idle(1.0)


async def test_background_jobs_wait_for_the_acks_at_most_the_defer_bound() -> None:
    """`after_acks` (where the scheduler's runs start) holds while requests keep coming,
    returns once they pause, never later than MAX_DEFER_SECONDS, and at once on shutdown."""
    inflight = InFlight()
    loop = asyncio.get_running_loop()
    await asyncio.wait_for(inflight.after_acks(), 0.5)  # no burst: no wait

    async def requests_never_pause() -> None:
        while True:
            inflight.request_arrived()
            await asyncio.sleep(0.001)

    requests = asyncio.create_task(requests_never_pause())
    await asyncio.sleep(0)
    began = loop.time()
    waiting = asyncio.create_task(inflight.after_acks())
    for _ in range(5):
        await asyncio.sleep(0)
    assert not waiting.done()  # held while requests keep coming
    await asyncio.wait_for(waiting, MAX_DEFER_SECONDS + 5.0)
    assert loop.time() - began >= MAX_DEFER_SECONDS - 0.01  # the bound ended the wait

    inflight.request_arrived()
    inflight.closing = True  # the doors refuse requests: nothing to put first any more
    await asyncio.wait_for(inflight.after_acks(), 0.5)
    requests.cancel()
