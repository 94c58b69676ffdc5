"""The interrupt hook of a program run by the language host (livekit_sip_pulumi/interrupts.py):
silent for the engine's interrupts, and only for them. Through the CLI:
tests/e2e/cli/test_cli_refusals.py."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from livekit_sip_pulumi import interrupts


def raised(make: Any) -> BaseException:
    try:
        make()
    except BaseException as exc:  # the exception is the test's subject
        return exc
    raise AssertionError("nothing raised")


def interrupt() -> None:
    raise KeyboardInterrupt


def interrupt_twice() -> None:
    try:
        interrupt()
    finally:
        interrupt()  # as the runner's `executor.shutdown` is interrupted again


def interrupt_during_error() -> None:
    try:
        raise ValueError("a real error")
    except ValueError:
        interrupt()


def interrupt_from_error() -> None:
    raise KeyboardInterrupt from RuntimeError("the cause")


@pytest.mark.parametrize(
    ("make", "engine"),
    [
        (interrupt, True),
        (interrupt_twice, True),
        (interrupt_during_error, False),
        (interrupt_from_error, False),
        (lambda: 1 / 0, False),
    ],
    ids=["interrupt", "interrupted-twice", "during-an-error", "caused-by-an-error", "error"],
)
def test_only_chains_of_interrupts_are_the_engines(make, engine):
    assert interrupts.is_engine_interrupt(raised(make)) is engine


def test_the_hook_is_silent_for_interrupts_and_passes_everything_else_on(monkeypatch):
    seen: list[BaseException] = []
    monkeypatch.setattr(sys, "excepthook", lambda kind, value, tb: seen.append(value))
    interrupts.install()
    interrupts.install()  # once: not wrapped twice
    for make in (interrupt, interrupt_twice, interrupt_during_error, lambda: 1 / 0):
        exc = raised(make)
        sys.excepthook(type(exc), exc, exc.__traceback__)
    assert [type(e) for e in seen] == [KeyboardInterrupt, ZeroDivisionError]
    assert isinstance(seen[0].__context__, ValueError)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["/venv/bin/python", "/bin/pulumi-language-python-exec", "--monitor", "x", "."], True),
        (["/venv/bin/python", "-u", "/bin/pulumi-language-python-exec", "--monitor", "x"], True),
        (["/venv/bin/python", "-u", "-m", "pulumi.dynamic", "x"], False),
        (["/venv/bin/python", "-u", "-m", "pulumi.policy", "x", "."], False),
        (["/venv/bin/python", "-m", "pytest", "pulumi-language-python-exec"], False),
    ],
    ids=["program", "program-unbuffered", "provider", "policy-pack", "other"],
)
def test_installed_only_in_a_program_of_the_language_host(argv, expected):
    assert interrupts.running_in_language_host(argv) is expected
