"""``python -m livekit_sip_pulumi.plugin ENGINE``: serve the provider plugin (what the
``pulumi-resource-livekit-sip`` executable runs)."""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, version


def main() -> None:
    from pulumi.provider.experimental.server import main as serve

    from .provider import LiveKitSipProvider

    try:
        own = version("livekit-sip-pulumi")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        own = "0.0.0"
    serve(sys.argv[1:], own, LiveKitSipProvider(own))


if __name__ == "__main__":
    main()
