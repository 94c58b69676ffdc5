"""What the troubleshooting guide says of an outbound call's failure: its section and the fix.

The guide (:data:`~.links.TROUBLESHOOTING`, read 2026-12-04) starts with "Where to look first"
(was the INVITE recorded, which SIP code, did media flow) and maps the codes 403, 404, 486 and
503 to causes; its "403 Forbidden" section is about credentials, "403 - Domestic Anchored Terms
Not Met" about region pinning, "404 - Not Found" about trunk IDs and destination numbers. The
call reports of the telephony tests name these sections, one table for every door.
"""

from __future__ import annotations

from dataclasses import dataclass

from .links import OUTBOUND_TRUNK_DOC, REGION_PINNING_DOC, TROUBLESHOOTING

__all__ = ["MEDIA_GUIDE", "OUTBOUND_GUIDE", "TRANSFER_GUIDE", "GuideEntry", "outbound_guide"]


@dataclass(frozen=True)
class GuideEntry:
    """One outcome of an outbound call: the guide's section, the likely cause and fix."""

    section: str
    url: str
    cause: str
    fix: str

    def words(self) -> str:
        return f"the guide's '{self.section}' ({self.url}): {self.cause}; {self.fix}"


_WHERE = "Where to look first"

#: By SIP code of the carrier's final answer, then by the outcomes without one.
OUTBOUND_GUIDE: dict[int | str, GuideEntry] = {
    401: GuideEntry("403 Forbidden", TROUBLESHOOTING + "#403-forbidden",
                    "the carrier asked for credentials the trunk does not have",
                    "set the trunk's auth_username and auth_password to the carrier's"),
    407: GuideEntry("403 Forbidden", TROUBLESHOOTING + "#403-forbidden",
                    "the carrier asked for credentials the trunk does not have",
                    "set the trunk's auth_username and auth_password to the carrier's"),
    403: GuideEntry("403 Forbidden", TROUBLESHOOTING + "#403-forbidden",
                    "the carrier refused the trunk's credentials (or, in some countries, the "
                    "call's region: '403 - Domestic Anchored Terms Not Met', "
                    f"{REGION_PINNING_DOC})",
                    "make the trunk's auth_username and auth_password the ones the carrier "
                    "holds for this trunk"),
    404: GuideEntry("404 - Not Found", TROUBLESHOOTING + "#404-not-found",
                    "the carrier does not know the destination number",
                    "call a number in service, in the format the carrier expects (E.164)"),
    486: GuideEntry(_WHERE, TROUBLESHOOTING + "#where-to-look-first",
                    "486 Busy Here: the called line is busy (the carrier's answer, not the "
                    "trunk's configuration)",
                    "retry later or call another number; nothing to change on the trunk"),
    503: GuideEntry(_WHERE, TROUBLESHOOTING + "#where-to-look-first",
                    "503 Service Unavailable: the carrier does not serve this address (e.g. a "
                    "Telnyx subdomain instead of sip.telnyx.com)",
                    f"set the trunk's address to the host the provider's guide names "
                    f"({OUTBOUND_TRUNK_DOC})"),
    488: GuideEntry("Media issues", TROUBLESHOOTING + "#media-issues",
                    "488 Not Acceptable Here: the carrier accepts none of the codecs offered",
                    "allow a codec the carrier takes (G.711 PCMU/PCMA) in the trunk's media"),
    "unresolved": GuideEntry(_WHERE, TROUBLESHOOTING + "#where-to-look-first",
                             "no INVITE left: the trunk's address does not resolve",
                             "confirm the trunk address is correct (the provider's host, no "
                             "typo, no subdomain the provider does not publish)"),
    "no_answer": GuideEntry(_WHERE, TROUBLESHOOTING + "#where-to-look-first",
                            "the carrier's host got the INVITE and answered nothing before "
                            "the ringing timeout",
                            "check the trunk's address, port and transport, and the "
                            "provider's logs"),
}


def outbound_guide(sip_code: int | None, outcome: str) -> GuideEntry | None:
    """The guide's entry for an outbound call that ended with ``sip_code`` / ``outcome``."""
    if sip_code is not None and sip_code in OUTBOUND_GUIDE:
        return OUTBOUND_GUIDE[sip_code]
    return OUTBOUND_GUIDE.get(outcome)


#: A transfer (TransferSIPParticipant, a SIP REFER to the carrier) that failed: the guide's
#: transfer notes (408 when the carrier does not answer the REFER; Telnyx needs SIP REFER on).
TRANSFER_GUIDE = GuideEntry(
    "Where to look first", TROUBLESHOOTING + "#where-to-look-first",
    "the carrier refused the REFER or did not answer it (408: the transfer timed out)",
    "enable transfers (SIP REFER) on the provider's trunk, e.g. Telnyx's 'SIP REFER' setting "
    "of the connection, and give a transfer target the provider accepts (Twilio: tel:)")

#: An answered call whose audio did not flow both ways: the guide's "Did media flow after the
#: handshake?" and its "Media issues" (silence, one-way audio).
MEDIA_GUIDE = GuideEntry(
    "Media issues", TROUBLESHOOTING + "#media-issues",
    "the call connected but RTP did not reach one side (a wrong address in an SDP, NAT, a "
    "firewall, or a side that sends nothing)",
    "check the addresses in both SDPs against where RTP really arrives (external IP / NAT "
    "settings of the carrier side and of the SIP bridge), and that both sides send audio")
