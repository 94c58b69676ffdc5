"""``python -m livekit_sip_pulumi.telephony test-calls|call ...`` (see :mod:`.cli`)."""

from .cli import main

main()
