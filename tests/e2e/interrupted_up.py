"""Run `pulumi up` of a one-trunk program, to be killed halfway by test_interrupted_up.py.

usage: python interrupted_up.py STATE_DIR LIVEKIT_URL API_KEY API_SECRET [NAME]

Without NAME the trunk gets its autoname; with NAME, that explicit name.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from livekit_sip_pulumi import SipOutboundTrunk
from localstack import LocalStack

NAME: str | None = None


def program() -> None:
    SipOutboundTrunk(
        "carrier",
        name=NAME,
        address="sip.telnyx.com",
        numbers=["+15105550100"],
        auth_username="acme",
        auth_password="interrupted-pw-not-in-state",
    )


if __name__ == "__main__":
    state, url, key, secret = sys.argv[1:5]
    NAME = sys.argv[5] if len(sys.argv) > 5 else None
    stack = LocalStack(
        "interrupted",
        program,
        Path(state),
        config={"livekit:url": url, "livekit:apiKey": key},
        secret_config={"livekit:apiSecret": secret},
    )
    result = stack.up()
    print("finished" if result.ok else result.error, flush=True)
