"""Run `pulumi up` of a program, to be killed halfway by test_interrupted_up.py.

usage: python interrupted_up.py STATE_DIR LIVEKIT_URL API_KEY API_SECRET [NAME | --line]

Without NAME the one-trunk program's trunk gets its autoname; with NAME, that explicit name.
With --line, the phone line program runs instead (its stack config picks the version).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import pulumi
from livekit_sip_pulumi import SipDispatchRule, SipInboundTrunk, SipOutboundTrunk
from localstack import LocalStack

NAME: str | None = None
PROJECT = "interrupted"
PASSWORD = "interrupted-pw-not-in-state"


def program() -> None:
    SipOutboundTrunk(
        "carrier",
        name=NAME,
        address="sip.telnyx.com",
        numbers=["+15105550100"],
        auth_username="acme",
        auth_password=PASSWORD,
    )


def line_numbers(version: str) -> list[str]:
    """The numbers of the "line" trunk: each stack has its own; v2 adds one."""
    base = "+1510555" + ("01" if pulumi.get_stack() == "dev" else "02")
    return [f"{base}00", *([f"{base}01"] if version == "v2" else [])]


def line_program() -> None:
    """A phone line: "main" is recorded before the kill; "line", its dispatch rule and
    "carrier" are created by LiveKit and never recorded. Config `version` v2 is the edited
    program: other metadata everywhere, one more number on "line"."""
    version = pulumi.Config().get("version") or "v1"
    metadata = f"line {version}"
    main_number = "+1510555" + ("03" if pulumi.get_stack() == "dev" else "04") + "00"
    main = SipInboundTrunk("main", numbers=[main_number], metadata=metadata)
    SipInboundTrunk("line", numbers=line_numbers(version), metadata=metadata)
    SipDispatchRule(
        "line-dispatch",
        trunk_ids=[main.sip_trunk_id],
        rule={"dispatch_rule_individual": {"room_prefix": "call-"}},
        room_config={"agents": [{"agent_name": "support-agent"}]},
        metadata=metadata,
    )
    SipOutboundTrunk(
        "carrier",
        address="sip.telnyx.com",
        numbers=["+15105550100"],
        auth_username="acme",
        auth_password=PASSWORD,
        metadata=metadata,
    )


#: The creates whose answers the proxy holds back in the line program: those of "line",
#: "line-dispatch" and "carrier" (their autonames start so), not that of "main".
LINE_HELD = (b"line-", b"carrier-")


if __name__ == "__main__":
    state, url, key, secret = sys.argv[1:5]
    extra = sys.argv[5] if len(sys.argv) > 5 else None
    NAME = extra if extra != "--line" else None
    stack = LocalStack(
        PROJECT,
        line_program if extra == "--line" else program,
        Path(state),
        config={"livekit:url": url, "livekit:apiKey": key},
        secret_config={"livekit:apiSecret": secret},
    )
    result = stack.up()
    print("finished" if result.ok else result.error, flush=True)
