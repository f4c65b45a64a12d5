"""The long polls' wait (service/longpoll.py): a change releases the waiters a batch per turn of the event loop
(a thousand woken in one turn held it ~100 ms), timed-out and gone requests leave the queue at once, shutdown
releases everyone."""
from __future__ import annotations

import asyncio

from coach_server.service.longpoll import WAKE_BATCH, Changes


def test_a_change_releases_the_waiters_a_batch_per_turn():
    async def scenario():
        changes = Changes()
        version = ["a"]
        done: list[int] = []

        async def follower(i: int) -> None:
            await changes.wait_while(lambda: version[0], "a", 60)
            done.append(i)

        tasks = [asyncio.ensure_future(follower(i)) for i in range(3 * WAKE_BATCH + 7)]
        await asyncio.sleep(0)
        assert len(changes._waiters) == len(tasks)
        version[0] = "b"
        changes.announce()
        seen = []
        while len(done) < len(tasks):
            await asyncio.sleep(0)
            seen.append(len(done))
        await asyncio.gather(*tasks)
        steps = [b - a for a, b in zip([0, *seen], seen)]
        assert max(steps) <= WAKE_BATCH and len(done) == len(tasks)  # never more than a batch in one turn
        assert sorted(done) == list(range(len(tasks)))

    asyncio.run(scenario())


def test_paced_releases_spread_over_time():
    async def scenario():
        changes = Changes(per_s=WAKE_BATCH / 0.05)  # a batch every 50 ms
        version = ["a"]
        tasks = [asyncio.ensure_future(changes.wait_while(lambda: version[0], "a", 60))
                 for _ in range(2 * WAKE_BATCH)]
        await asyncio.sleep(0)
        version[0] = "b"
        changes.announce()
        await asyncio.sleep(0.01)
        assert sum(t.done() for t in tasks) == WAKE_BATCH  # the second batch waits its turn
        await asyncio.wait_for(asyncio.gather(*tasks), 2)

    asyncio.run(scenario())


def test_timed_out_and_gone_requests_leave_the_queue():
    async def scenario():
        changes = Changes()
        timed = asyncio.ensure_future(changes.wait_while(lambda: "a", "a", 0.05))
        gone = asyncio.ensure_future(changes.wait_while(lambda: "a", "a", 60))
        await asyncio.sleep(0)
        assert len(changes._waiters) == 2
        gone.cancel()
        await asyncio.sleep(0.1)
        assert timed.done() and gone.cancelled() and len(changes._waiters) == 0
        changes.announce()  # nobody to release: nothing happens

    asyncio.run(scenario())


def test_shutdown_releases_everyone_at_once_and_no_one_waits_after():
    async def scenario():
        changes = Changes(per_s=1.0)
        tasks = [asyncio.ensure_future(changes.wait_while(lambda: "a", "a", 60)) for _ in range(3 * WAKE_BATCH)]
        await asyncio.sleep(0)
        changes.close()
        await asyncio.wait_for(asyncio.gather(*tasks), 1)
        await asyncio.wait_for(changes.wait_while(lambda: "a", "a", 60), 1)

    asyncio.run(scenario())


def test_a_change_announced_from_another_thread_wakes_the_waiters():
    """A save runs in a worker thread and announces from there."""
    import threading

    async def scenario():
        changes = Changes()
        version = ["a"]
        task = asyncio.ensure_future(changes.wait_while(lambda: version[0], "a", 60))
        await asyncio.sleep(0)

        def save() -> None:
            version[0] = "b"
            changes.announce()

        thread = threading.Thread(target=save)
        thread.start()
        await asyncio.wait_for(task, 2)
        thread.join()

    asyncio.run(scenario())
