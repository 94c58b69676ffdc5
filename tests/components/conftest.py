"""Shared set-up for the component tests that run programs under Pulumi's mocks."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _current_event_loop() -> Iterator[None]:
    """Pulumi's mocks register resources on the thread's current event loop.

    A test that ran ``asyncio.run`` earlier in the session leaves the main thread without one, and
    ``asyncio.get_event_loop`` then raises: give the thread a loop when it has none, so these
    tests pass in any order.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            asyncio.get_event_loop_policy().get_event_loop()
        except RuntimeError:
            asyncio.set_event_loop(asyncio.new_event_loop())
    yield
