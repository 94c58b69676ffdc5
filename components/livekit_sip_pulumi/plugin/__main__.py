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
    # The engine's address is the first argument that is not a flag (as serve() reads it).
    engine = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)
    serve(sys.argv[1:], own, LiveKitSipProvider(own, engine))


if __name__ == "__main__":
    main()
