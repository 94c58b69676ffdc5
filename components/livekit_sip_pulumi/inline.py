"""Many inline programs in one process (the Automation API): each run's gRPC channels are its own.

An inline program runs in the calling process and talks to the engine of its run over gRPC
(``ResourceMonitor`` and ``Engine`` channels to 127.0.0.1 ports the engine picked). The Pulumi
SDK never closes those channels: they stay alive with the thread context that ran the program.
When a run fails, the program's last calls reach an engine that is already gone; the channel
then keeps reconnecting to that port, with backoff, for as long as it lives.

gRPC shares connections (subchannels) between the channels of a process that have the same
target and options. A later run whose engine happens to listen on the same port (ports are
reused: a test session runs hundreds of engines) gets the old channel's connection, which is
in its backoff after "connection refused", and its first call fails at once with UNAVAILABLE:
the program stops with ``Resource monitor has terminated, shutting down`` (or "failed to
connect to all addresses ... Connection refused") about a second into the update, the engine
cancels the update, and the failure the run was about is never reached.

:func:`isolate_run_channels` gives every channel the SDK opens a connection pool of its own
(gRPC's ``grpc.use_local_subchannel_pool``), so a run never inherits a connection of an
earlier run. Call it once before running inline programs; it is idempotent.
"""

from __future__ import annotations

__all__ = ["LOCAL_SUBCHANNEL_POOL", "isolate_run_channels"]

LOCAL_SUBCHANNEL_POOL = ("grpc.use_local_subchannel_pool", 1)


def isolate_run_channels() -> None:
    """Make every gRPC channel the Pulumi SDK opens from now on use a subchannel pool of its
    own (see the module doc). The SDK builds its channels from one shared options list
    (``pulumi.runtime._grpc_settings._GRPC_CHANNEL_OPTIONS``, imported by name where channels
    are made): the option is added to that list in place."""
    from pulumi.runtime import _grpc_settings

    options = _grpc_settings._GRPC_CHANNEL_OPTIONS
    if LOCAL_SUBCHANNEL_POOL not in options:
        options.append(LOCAL_SUBCHANNEL_POOL)
