"""Shared set-up for the component tests that run programs under Pulumi's mocks."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from pulumi.runtime import settings


@pytest.fixture(autouse=True)
def _event_loop_of_its_own() -> Iterator[None]:
    """Each test runs on an event loop of its own, with no root stack left by an earlier test.

    Pulumi's mocks create futures on the thread's current event loop (``set_mocks`` builds the
    root ``Stack`` outside any running loop), and keep that root stack for the next
    ``set_mocks``. A test that ran ``asyncio.run`` earlier leaves the thread without a current
    loop (``RuntimeError: There is no current event loop``); a root stack made on an earlier
    test's loop fails the next program with ``RuntimeError: await wasn't used with future``.
    So every test starts from a new loop and no root stack, whatever ran before it, and leaves
    no current loop behind, as ``asyncio.run`` does.
    """
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    settings.ROOT.set(None)
    try:
        yield
    finally:
        # Registrations a test did not wait for end with it, not in the next test's loop.
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        settings.ROOT.set(None)
        asyncio.set_event_loop(None)
        loop.close()
