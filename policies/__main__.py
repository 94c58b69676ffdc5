"""The LiveKit SIP policy pack. Builds the PolicyPack and nothing else (it serves the engine)."""

import sys

try:
    from livekit_sip_policies.pack import PACK_NAME, build_policies
    from pulumi_policy import PolicyPack
except ImportError as exc:
    # Without this, the engine only reports that it could not read the pack's port.
    print(
        f"livekit-sip policy pack: cannot import {exc.name or exc} into {sys.executable}. "
        "Install the pack's dependencies: run `pulumi install` in the pack's folder "
        "(or `make venv` in the livekit-sip-pulumi checkout).",
        file=sys.stderr,
    )
    sys.exit(1)

PolicyPack(name=PACK_NAME, policies=build_policies())
