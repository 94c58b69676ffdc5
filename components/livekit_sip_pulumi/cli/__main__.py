"""``python -m livekit_sip_pulumi.cli``."""

from livekit_sip_pulumi.cli import main

main()
