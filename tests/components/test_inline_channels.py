"""A failed inline run's gRPC channel does not break a later run whose engine listens on the same
port (livekit_sip_pulumi.inline). Real gRPC servers on loopback stand in for the engines; the
channels are the SDK's own (``Settings``, as ``reset_options`` builds them for each run)."""

from __future__ import annotations

from concurrent import futures

import grpc
import pytest
from livekit_sip_pulumi.inline import LOCAL_SUBCHANNEL_POOL, isolate_run_channels
from pulumi.runtime import _grpc_settings
from pulumi.runtime.proto import resource_pb2, resource_pb2_grpc
from pulumi.runtime.settings import Settings


class Monitor(resource_pb2_grpc.ResourceMonitorServicer):
    def SupportsFeature(self, request: object, context: object) -> object:
        return resource_pb2.SupportsFeatureResponse(hasSupport=True)


def engine(port: int = 0) -> tuple[grpc.Server, int]:
    """A resource monitor on 127.0.0.1:``port`` (0: a free one), as an engine serves it."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    resource_pb2_grpc.add_ResourceMonitorServicer_to_server(Monitor(), server)
    bound = server.add_insecure_port(f"127.0.0.1:{port}")
    assert bound, f"could not listen on 127.0.0.1:{port}"
    server.start()
    return server, bound


def run_settings(port: int) -> Settings:
    """The settings of one inline run: its channel to the engine's monitor."""
    return Settings(project="p", stack="s", monitor=f"127.0.0.1:{port}")


def first_call(settings: Settings) -> bool:
    """The program's first call to the monitor (the SDK probes features first)."""
    assert settings.monitor is not None
    request = resource_pb2.SupportsFeatureRequest(id="secrets")
    return bool(settings.monitor.SupportsFeature(request, timeout=30).hasSupport)


def test_a_run_does_not_inherit_a_failed_runs_connection() -> None:
    isolate_run_channels()
    failed_engine, port = engine()
    failed_run = run_settings(port)
    assert first_call(failed_run)
    failed_engine.stop(0).wait()
    # The failed run's program calls once more after its engine is gone (its last log line,
    # a pending registration): refused. The SDK keeps that channel alive, reconnecting.
    with pytest.raises(grpc.RpcError) as refused:
        first_call(failed_run)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE

    # A later run's engine gets the same port: the later run's channel reaches it.
    later_engine, same_port = engine(port)
    try:
        assert same_port == port
        assert first_call(run_settings(port))
    finally:
        later_engine.stop(0).wait()
    assert failed_run.monitor is not None  # alive until here, as in the SDK


def test_isolating_is_idempotent() -> None:
    isolate_run_channels()
    isolate_run_channels()
    assert _grpc_settings._GRPC_CHANNEL_OPTIONS.count(LOCAL_SUBCHANNEL_POOL) == 1
