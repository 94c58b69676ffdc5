"""A minimal LiveKit agent worker for call tests: it joins the room it is dispatched to and
publishes a 440 Hz tone, which is what makes LiveKit's SIP bridge answer a ringing call. It
also listens to the SIP participant's audio and sets its own attribute ``probe.heard`` to the
share of that audio's power at 1000 Hz (the carrier stand-in's tone) over the last second:
how the tests tell that the caller's audio reached the room.

    python tests/e2e/calls/probe_agent.py start --agent-name support-agent

Needs ``livekit-agents`` (the ``dev`` extra). Uses nothing outside the LiveKit server it is
given (LIVEKIT_URL / LIVEKIT_API_KEY / LIVEKIT_API_SECRET): no plugin, no inference.
"""

from __future__ import annotations

import array
import asyncio
import math
import os
import sys

from livekit import rtc
from livekit.agents import JobContext, WorkerOptions, cli
from livekit_sip_pulumi.telephony.uac import tone_share

RATE = 48000
FRAME = RATE // 50  # 20 ms
MAX_SECONDS = 120  # a job never outlives this, whatever the room does


LISTEN_HZ = 1000.0


async def _listen(ctx: JobContext, track: rtc.Track) -> None:
    """The share of the SIP audio's power at LISTEN_HZ, as the attribute probe.heard."""
    samples: list[int] = []
    last = 0.0
    loop = asyncio.get_running_loop()
    async for event in rtc.AudioStream(track, sample_rate=8000, num_channels=1):
        samples.extend(event.frame.data)
        del samples[:-8000]
        if loop.time() - last >= 0.5 and len(samples) >= 4000:
            last = loop.time()
            share = tone_share(samples, LISTEN_HZ)
            await ctx.room.local_participant.set_attributes({"probe.heard": f"{share:.2f}"})


async def entrypoint(ctx: JobContext) -> None:
    listeners: list[asyncio.Task[None]] = []

    def subscribed(track: rtc.Track, publication: object, participant: rtc.RemoteParticipant
                   ) -> None:
        if (track.kind == rtc.TrackKind.KIND_AUDIO
                and participant.kind == rtc.ParticipantKind.PARTICIPANT_KIND_SIP):
            listeners.append(asyncio.ensure_future(_listen(ctx, track)))

    ctx.room.on("track_subscribed", subscribed)
    await ctx.connect()
    source = rtc.AudioSource(RATE, 1)
    track = rtc.LocalAudioTrack.create_audio_track("probe-tone", source)
    await ctx.room.local_participant.publish_track(
        track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
    )
    # One second of the tone, copied frame by frame (no per-sample work in the loop).
    tone = array.array("h", (int(6000 * math.sin(2 * math.pi * 440 * i / RATE))
                             for i in range(RATE)))
    phase = 0
    seen_caller = False
    deadline = asyncio.get_running_loop().time() + MAX_SECONDS
    while ctx.room.isconnected() and asyncio.get_running_loop().time() < deadline:
        frame = rtc.AudioFrame.create(RATE, 1, FRAME)
        start = phase % RATE
        frame.data[:] = tone[start : start + FRAME]
        phase += FRAME
        await source.capture_frame(frame)
        caller = any(
            p.kind == rtc.ParticipantKind.PARTICIPANT_KIND_SIP
            for p in ctx.room.remote_participants.values()
        )
        if caller:
            seen_caller = True
        elif seen_caller:
            break  # the caller hung up: the job is done
    for task in listeners:
        task.cancel()
    ctx.shutdown("call ended")


def _no_load() -> float:
    return 0.0


def main() -> None:
    name = os.environ.get("PROBE_AGENT_NAME", "probe-agent")
    if "--agent-name" in sys.argv:
        i = sys.argv.index("--agent-name")
        name = sys.argv[i + 1]
        del sys.argv[i : i + 2]
    cli.run_app(
        WorkerOptions(
            entrypoint_fnc=entrypoint,
            agent_name=name,
            port=0,
            drain_timeout=2,
            # A worker in `start` mode stops taking jobs above 70 % CPU load (the machine's);
            # a test worker on a shared CI machine must take them anyway.
            load_threshold=float("inf"),
            load_fnc=_no_load,
            num_idle_processes=0,
            shutdown_process_timeout=3.0,
        )
    )


if __name__ == "__main__":
    main()
