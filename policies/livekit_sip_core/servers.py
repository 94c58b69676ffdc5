"""The livekit-server releases the project supports, and where their SIP routing differs.

The simulator (``livekit_sip_policies.routing``) predicts what a given release answers the SIP
bridge; the toolchain (``scripts/toolchain-env.sh``: ``LIVEKIT_SERVER_NEWEST`` and
``LIVEKIT_SERVER_OLDEST``) builds both, and the routing differential holds the simulator to each.
The differences below were read from the sources of the two releases (livekit-server
``pkg/service/ioservice_sip.go`` and livekit/protocol ``sip/`` at the version each pins) and
measured against both servers.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "NEWEST_SERVER",
    "OLDEST_SERVER",
    "SERVER_RELEASES",
    "ServerRelease",
    "server_release",
]


@dataclass(frozen=True)
class ServerRelease:
    """One livekit-server release and how its SIP routing behaves where releases differ."""

    version: str
    #: The livekit/protocol version its go.mod pins (its ``sip/`` package routes the calls).
    protocol: str
    #: ``EvaluateSIPDispatchRules`` when no dispatch rule matches: ``"DROP"`` (v1.13.5:
    #: ``Result: rpc.SIPDispatchResult_DROP``; the bridge hangs up without answering) or
    #: ``"REJECT"`` (v1.13.11: ``rpc.SIPDispatchResult_REJECT``; the bridge answers 404).
    no_rule_result: str
    #: ``EvaluateDispatchRule`` copies ``trunk.RingingTimeoutStatus`` into the answer
    #: (protocol v1.53: ``resp.RingingTimeoutStatus = trunk.RingingTimeoutStatus``); the older
    #: protocol has no such field: v1.13.5 keeps it as an unknown field of the stored trunk
    #: (and lists it back), but never answers it.
    ringing_timeout_status: bool
    #: ``hide_phone_number`` with an empty caller: v1.13.5 slices ``from[len(from)-1:]`` and
    #: panics (measured: the whole server exits, the request times out); protocol v1.53 uses
    #: ``n = min(1, len(from))`` and accepts the call as ``Phone `` (an empty number).
    hides_empty_caller: bool
    #: What the installed Python ``livekit-protocol`` (1.1.29) has and this release's protocol
    #: lacks, in ``livekit_sip.proto``, ``livekit_room.proto`` and
    #: ``livekit_agent_dispatch.proto``: messages, enums, and fields or values of the others.
    #: The server cannot act on such a field (v1.13.5 keeps a trunk's unknown fields in storage
    #: and lists them back). tests/e2e/test_protocol_releases.py compares the descriptors.
    protocol_lacks: frozenset[str] = frozenset()
    #: The other way round: what this release's protocol has and livekit-protocol lacks (it
    #: cannot be set from Python at all).
    protocol_adds: frozenset[str] = frozenset()


SERVER_RELEASES: tuple[ServerRelease, ...] = (
    ServerRelease(
        version="v1.13.5",
        protocol="v1.50.5-0.20260728075222-28e604c046c6",
        no_rule_result="DROP",
        ringing_timeout_status=False,
        hides_empty_caller=False,
        protocol_lacks=frozenset(
            {
                # Exposed (SipInboundTrunkArgs.ringing_timeout_status): v1.13.5 stores it
                # unread.
                "livekit.SIPInboundTrunkInfo.ringing_timeout_status",
                # Not modelled: placing calls and transfers are not resources.
                "livekit.CreateSIPParticipantRequest.to_user_override",
                "livekit.SIPTransferInfo.reason",
                "livekit.SIPTransferError",
                "livekit.SIPTransferReason",
                "livekit.TransferSIPParticipantResponse",
            }
        ),
    ),
    ServerRelease(
        version="v1.13.11",
        protocol="v1.53.1-0.20261023175527-46332a036e25",
        no_rule_result="REJECT",
        ringing_timeout_status=True,
        hides_empty_caller=True,
    ),
)

#: The release the toolchain builds by default and the simulator predicts unless told otherwise.
NEWEST_SERVER = SERVER_RELEASES[-1].version
#: The oldest release still supported (built and tested beside the newest).
OLDEST_SERVER = SERVER_RELEASES[0].version


def server_release(version: str | None = None) -> ServerRelease:
    """The release ``version`` (``"v1.13.5"`` or ``"1.13.5"``; None: the newest).

    Raises ValueError naming the supported releases for any other version: the simulator does
    not guess how an unknown release routes.
    """
    if version is None:
        return SERVER_RELEASES[-1]
    wanted = version if version.startswith("v") else f"v{version}"
    for release in SERVER_RELEASES:
        if release.version == wanted:
            return release
    known = ", ".join(r.version for r in SERVER_RELEASES)
    raise ValueError(
        f"livekit-server {version!r} is not a supported release (supported: {known}); the "
        "simulator predicts only releases whose routing it was checked against"
    )
