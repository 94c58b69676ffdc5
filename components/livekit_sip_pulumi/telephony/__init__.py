"""Real phone calls against a local replica of a stack: LiveKit's SIP bridge, livekit-server
and the agent workers in a private network namespace, a SIP caller, and checks of what
answered. See docs/telephony-tests.md.

- :mod:`.services`: the local replica (:class:`~.services.Replica`) and agent workers;
- :mod:`.verifier`: one call and its outcome (:func:`~.verifier.place_call`);
- :mod:`.suite`: a Pulumi program applied to the replica, and one call per routing
  expectation (:func:`~.suite.run_expectations`);
- :mod:`.cli`: ``python -m livekit_sip_pulumi.telephony test-calls|call``;
- :mod:`.pytest_plugin`: the same as pytest fixtures.

Linux only (network namespaces), as root or with CAP_SYS_ADMIN.
"""
