"""A contact centre's phone lines, one row of lines.csv each, owned by one SipNumberPlan.

Each line gets an inbound trunk for its numbers and a dispatch rule that puts every caller in a
room of their own with the line's agent; a row with ``outbound_address`` also gets an outbound
trunk. Edit a row and `pulumi preview --diff` shows that line alone changing.
"""

from pathlib import Path

import pulumi
from livekit_sip_pulumi import SipNumberPlan

plan = SipNumberPlan("lines", source=Path(__file__).parent / "lines.csv")
pulumi.export("objects", plan.objects)
