"""The agent worker of the support line (a stand-in: it answers with a tone).

    python agent.py start

Its agent_name must be the one the dispatch rule in infra/ dispatches ("support-agent"):
`livekit-sip test-calls` fails when they differ. AGENT_NAME
overrides it (to see that failure).
"""

import asyncio
import math
import os

from livekit import rtc
from livekit.agents import JobContext, WorkerOptions, cli

RATE = 48000


async def entrypoint(ctx: JobContext) -> None:
    await ctx.connect()
    # LiveKit's SIP bridge answers the call once an agent publishes audio.
    source = rtc.AudioSource(RATE, 1)
    track = rtc.LocalAudioTrack.create_audio_track("greeting", source)
    await ctx.room.local_participant.publish_track(
        track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
    )
    t = 0
    while ctx.room.isconnected() and t < RATE * 120:
        frame = rtc.AudioFrame.create(RATE, 1, RATE // 50)
        for i in range(RATE // 50):
            frame.data[i] = int(6000 * math.sin(2 * math.pi * 440 * (t + i) / RATE))
        t += RATE // 50
        await source.capture_frame(frame)
        if t > RATE * 2 and not ctx.room.remote_participants:
            break  # the caller hung up
        await asyncio.sleep(0)


def no_load() -> float:
    return 0.0


# A worker reports the machine's CPU load, and LiveKit sends no job to a worker at load 1.0.
# The telephony tests (they set LKSP_TELEPHONY_TEST=1) often run on a busy, shared CI machine:
# there the worker takes jobs whatever the load.
UNDER_TEST = os.environ.get("LKSP_TELEPHONY_TEST") == "1"

if __name__ == "__main__":
    cli.run_app(
        WorkerOptions(
            entrypoint_fnc=entrypoint,
            agent_name=os.environ.get("AGENT_NAME", "support-agent"),
            **({"load_fnc": no_load, "load_threshold": float("inf")} if UNDER_TEST else {}),
        )
    )
