"""The provider's lifeline (livekit_sip_pulumi.lifeline) runs in the dynamic provider's process
only; tests/e2e/test_orphans.py kills a real engine and checks that its providers exit."""

from __future__ import annotations

import threading

from livekit_sip_pulumi import lifeline
from livekit_sip_pulumi.providers import SipOutboundTrunkProvider
from pulumi.dynamic import Config, ConfigureRequest


def test_configure_outside_the_provider_process_starts_no_watcher() -> None:
    """The user's program, the CLI and the tests configure providers too: nothing is watched."""
    assert not lifeline.in_dynamic_provider()
    SipOutboundTrunkProvider().configure(ConfigureRequest(Config({}, "project")))
    assert lifeline.watch_engine() is False
    assert "engine-lifeline" not in [t.name for t in threading.enumerate()]
