"""The carrier stand-in: a SIP user agent server that plays the SIP provider's part in test calls.

The real stack cannot contain the provider (Telnyx, Twilio, ...): this stand-in answers in its
place, inside the replica's network namespace, on its own address (``198.18.0.5:5060``, UDP).
Each test tells it what the real carrier holds, per SIP host (:class:`CarrierAccount`): the
digest realm, username and password (an INVITE without credentials is challenged with 407 or
401; a wrong answer gets 403 Forbidden, as Telnyx answers), which numbers exist (404 otherwise)
and which are busy (486), whether it answers at all (503 Service Unavailable, or nothing), and
which codecs it accepts (488 Not Acceptable Here when none of the offer's).

The hosts it serves resolve to its address inside the namespace only: :meth:`CarrierStandIn.
serve` writes them to the namespace's own ``hosts`` (``/etc/netns/<namespace>/hosts``, which
``ip netns exec`` bind-mounts over ``/etc/hosts`` for the bridge). LiveKit's SIP bridge
(livekit/sip v1.8.0, through livekit/sipgo's transport layer, ``transport/layer.go``
``resolveAddr``) resolves the trunk's address with Go's ``net.ResolveIPAddr`` first, which reads
``/etc/hosts`` ("files dns" in nsswitch.conf), and only then tries a DNS SRV lookup
(``_sip._udp.<host>``); in the namespace that lookup goes to ``127.0.0.1:53``, where nothing
listens: a host the stand-in does not serve does not resolve, as a mistyped provider host does
not, and no query leaves the namespace.

An answered call: 100 Trying, 180 Ringing, 200 OK with an SDP answer (the first of the
account's codecs the offer has), then a 440 Hz tone as RTP to the bridge's address while it
counts the RTP packets it receives. BYE and CANCEL are answered; a call still up after
``max_call`` seconds is hung up with BYE.

What the stand-in sends leaves ``latency`` seconds (default 50 ms) after the message it answers
arrived, as a real carrier's answers cross a network. An answer sent at once (within a fraction
of a millisecond, on the namespace's link) would reach the bridge sooner than any carrier's, and
there it meets a race in LiveKit's SIP bridge (livekit/sipgo, ``transaction/client_tx.go``:
``ClientTx.Init`` writes a request, then sets the retransmission timers and timer D's
duration): a final answer handled in between finds timer D at 0, the transaction is deleted at
once, and the bridge's wait for the answer (livekit/sip ``sipResponse``) sees the answer and the
transaction's end together and picks either at random; picking the end, it reports
``transaction failed to complete (0 intermediate responses)`` (psrpc ``canceled``) for a REFER
the carrier refused with 403. The stand-in is a thread of the test process (it
enters the namespace with ``setns``): it ends with the process, whatever kills it.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import re
import secrets
import socket
import struct
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from .netns import CARRIER_IP, NetNamespace
from .uac import G711_DECODE, NETWORK_LATENCY, _linear_to_ulaw, _parse, tone_share

__all__ = ["CARRIER_PORT", "CarrierAccount", "CarrierCall", "CarrierStandIn"]

CARRIER_PORT = 5060
ANSWERS = ("yes", "unavailable", "silent")
REFER_ANSWERS = ("accept", "refuse", "ignore")
MEDIA_MODES = ("both", "no_send", "wrong_address")
#: Where a "wrong_address" carrier says it receives RTP: on the namespace's link, owned by
#: nobody (packets sent there go nowhere, and never leave the namespace).
NOWHERE_IP = "198.18.0.99"
#: How long what the stand-in sends takes to leave (see the module doc).
#: How long the bridge may resolve with an old hosts file (Go caches it 5 s), and a margin.
HOSTS_CACHE_SECONDS = 5.5
LATENCY = NETWORK_LATENCY
_KEEP_SAMPLES = 8000 * 2  # the last 2 s of what the carrier heard
_PAYLOAD_TYPES = {"PCMU": 0, "PCMA": 8, "G722": 9}


@dataclass(frozen=True)
class CarrierAccount:
    """What the real carrier holds for one of its SIP hosts (the stand-in's configuration)."""

    #: The SIP host a trunk's ``address`` names, e.g. ``sip.telnyx.com``.
    host: str
    #: Digest credentials the carrier expects; no username: no authentication.
    username: str = ""
    password: str = field(default="", repr=False)
    #: Digest realm of the challenge ('' = the host).
    realm: str = ""
    #: 407 (Proxy-Authenticate, as Telnyx) or 401 (WWW-Authenticate).
    challenge: int = 407
    #: Numbers that exist (E.164 as dialled, '+' optional); empty: every number exists.
    numbers: tuple[str, ...] = ()
    #: Numbers whose line is busy (486 Busy Here).
    busy: tuple[str, ...] = ()
    #: "yes"; "unavailable" (503 Service Unavailable to every INVITE, as Telnyx answers a
    #: subdomain of sip.telnyx.com); "silent" (no answer at all).
    answer: str = "yes"
    #: Codecs the carrier accepts, in its order of preference (encoding names of the SDP).
    codecs: tuple[str, ...] = ("PCMU", "PCMA")
    #: Seconds of 180 Ringing before the 200 OK.
    ring: float = 0.3
    #: What the carrier does with a REFER (a transfer of a call in progress): "accept" (202,
    #: then NOTIFY 100 and 200), "refuse" (403 Forbidden), "ignore" (no answer at all, as a
    #: Telnyx connection with "SIP REFER" off: the transfer times out).
    refer: str = "refuse"
    #: The tone the carrier's side sends once answered (Hz); LiveKit's side is heard for the
    #: probe agent's 440 Hz (:meth:`CarrierCall.heard`).
    tone_hz: float = 1000.0
    #: The carrier's media: "both"; "no_send" (it sends no RTP: LiveKit hears silence);
    #: "wrong_address" (its SDP answer names an address where it does not receive, as behind
    #: a misconfigured NAT: it hears nothing of LiveKit, one-way audio).
    media: str = "both"

    def __post_init__(self) -> None:
        if self.media not in MEDIA_MODES:
            raise ValueError(f"media {self.media!r} is not one of {', '.join(MEDIA_MODES)}")
        if self.answer not in ANSWERS:
            raise ValueError(f"answer {self.answer!r} is not one of {', '.join(ANSWERS)}")
        if self.refer not in REFER_ANSWERS:
            raise ValueError(f"refer {self.refer!r} is not one of {', '.join(REFER_ANSWERS)}")
        if self.challenge not in (401, 407):
            raise ValueError("challenge must be 401 or 407")


@dataclass
class CarrierCall:
    """One INVITE dialog as the stand-in saw it."""

    call_id: str
    host: str  # the Request-URI's host
    to_user: str
    from_user: str
    codes: list[int] = field(default_factory=list)  # final answers sent, in order
    authenticated: bool | None = None  # None: no credentials were asked or given
    offered: list[str] = field(default_factory=list)  # codecs of the offer
    codec: str = ""  # the codec answered
    acked: bool = False
    rtp_received: int = 0
    rtp_sent: int = 0
    ended_by: str = ""  # "BYE from the bridge", "CANCEL", "BYE from the carrier"
    refer_to: str = ""  # the Refer-To of a REFER received (a transfer)
    refer_answer: int | None = None
    #: The last seconds of audio the carrier received (linear samples, 8 kHz; G.711 only).
    samples: list[int] = field(default_factory=list, repr=False)

    def heard(self, freq: float = 440.0) -> float:
        """The share of the power at ``freq`` in the last second the carrier heard (about 1:
        that tone; 0: silence or nothing)."""
        return tone_share(self.samples[-8000:], freq)
    started: float = field(default_factory=time.monotonic)

    @property
    def final(self) -> int | None:
        return self.codes[-1] if self.codes else None


@dataclass
class _Dialog:
    record: CarrierCall
    account: CarrierAccount
    invite: tuple[str, dict[str, str], str]
    source: tuple[str, int]
    to_tag: str
    last_response: bytes = b""
    answer_at: float | None = None
    ok_retransmit_at: float = 0.0
    ok_interval: float = 0.5
    remote_rtp: tuple[str, int] | None = None
    remote_contact: str = ""
    rtp: socket.socket | None = None
    payload_type: int = 0
    done: bool = False
    cseq: int = 0  # of the carrier's own requests in the dialog


def _params(header: str) -> dict[str, str]:
    return {k.lower(): (q if q else u) for k, q, u in
            re.findall(r'(\w+)\s*=\s*(?:"([^"]*)"|([^,\s]*))', header.partition(" ")[2])}


def _user_of(uri_header: str) -> tuple[str, str]:
    match = re.search(r"sips?:(?:([^@;>]*)@)?([^;>:]+)", uri_header)
    return (match.group(1) or "", match.group(2).lower()) if match else ("", "")


def _same_number(a: str, b: str) -> bool:
    return a.lstrip("+") == b.lstrip("+")


class CarrierStandIn:
    """A SIP UAS on ``address:port`` in ``ns``, serving the hosts of its accounts.

    :meth:`start` binds it (inside the namespace), :meth:`serve` says what the carrier holds
    (and makes those hosts resolve to it), :attr:`calls` lists what it saw, :meth:`stop` ends
    every call and the thread."""

    def __init__(self, ns: NetNamespace, address: str = CARRIER_IP,
                 port: int = CARRIER_PORT, max_call: float = 60.0,
                 latency: float = LATENCY) -> None:
        self.ns, self.address, self.port, self.max_call = ns, address, port, max_call
        self.latency = latency
        #: What is to be sent: (when, order, datagram, to), sent by :meth:`_flush`.
        self._outbox: list[tuple[float, int, bytes, tuple[str, int]]] = []
        self._sent = 0
        self.accounts: dict[str, CarrierAccount] = {}
        self.calls: list[CarrierCall] = []
        self._dialogs: dict[str, _Dialog] = {}
        self._nonces: set[str] = set()
        self._silent: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    # -- configuration --------------------------------------------------------------------------

    def serve(self, *accounts: CarrierAccount) -> None:
        """What the carrier holds from now on, one account per SIP host; exactly these hosts
        resolve (to the stand-in) in the namespace."""
        with self._lock:
            before = set(self.accounts)
            self.accounts = {a.host.lower(): a for a in accounts}
        self.ns.set_hosts({host: self.address for host in self.accounts})
        if set(self.accounts) != before:
            # Go's resolver (the bridge's) keeps what it read of a hosts file for 5 s
            # (net/hosts.go, cacheMaxAge) before it looks at the file again: until then a call
            # would still resolve (or not) the hosts of before.
            time.sleep(HOSTS_CACHE_SECONDS)

    def update(self, host: str, **changes: object) -> None:
        """Change what the carrier holds for ``host`` (e.g. ``busy=()``)."""
        with self._lock:
            self.accounts[host.lower()] = replace(self.accounts[host.lower()], **changes)  # type: ignore[arg-type]

    def calls_since(self, index: int) -> list[CarrierCall]:
        with self._lock:
            return list(self.calls[index:])

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> CarrierStandIn:
        self.ns.add_caller_ip(self.address)
        self._thread = threading.Thread(target=self._main, name="carrier-stand-in", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError(f"the carrier stand-in did not start within {timeout:.0f} s")
        if self._error is not None:
            raise RuntimeError(f"the carrier stand-in could not start: {self._error}")
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            for dialog in self._dialogs.values():
                self._end_media(dialog)
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()

    def _main(self) -> None:
        try:
            self.ns._enter()
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind((self.address, self.port))
            sock.settimeout(0.05)
            self._sock = sock
        except BaseException as exc:  # reported by start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        while not self._stop.is_set():
            with self._lock:
                wait = 0.05 if not self._outbox else self._outbox[0][0] - time.monotonic()
            sock.settimeout(min(0.05, max(0.001, wait)))
            try:
                data, source = sock.recvfrom(65535)
            except TimeoutError:
                data = b""
            except OSError:
                return
            with self._lock:
                if data:
                    with contextlib.suppress(Exception):  # a malformed message is dropped
                        self._handle(data, source)
                self._tick()
                self._flush()

    # -- SIP ------------------------------------------------------------------------------------

    def _send(self, data: bytes, to: tuple[str, int]) -> None:
        """Send ``data`` ``latency`` seconds from now (in order)."""
        self._sent += 1
        heapq.heappush(self._outbox, (time.monotonic() + self.latency, self._sent, data, to))

    def _flush(self, now: float | None = None) -> None:
        """Send what is due by ``now``."""
        now = time.monotonic() if now is None else now
        while self._outbox and self._outbox[0][0] <= now:
            _, _, data, to = heapq.heappop(self._outbox)
            self._transmit(data, to)

    def _transmit(self, data: bytes, to: tuple[str, int]) -> None:
        assert self._sock is not None
        with contextlib.suppress(OSError):
            self._sock.sendto(data, to)

    def _response(self, code: int, reason: str, headers: dict[str, str], to_tag: str = "",
                  extra: Iterable[str] = (), body: str = "") -> bytes:
        to = headers.get("to", "")
        if to_tag and ";tag=" not in to:
            to += f";tag={to_tag}"
        lines = [
            f"SIP/2.0 {code} {reason}",
            *(f"Via: {v}" for v in headers.get("via", "").split("\n") if v),
            f"From: {headers.get('from', '')}",
            f"To: {to}",
            f"Call-ID: {headers.get('call-id', '')}",
            f"CSeq: {headers.get('cseq', '')}",
            "Server: livekit-sip-pulumi-carrier-stand-in",
            *extra,
        ]
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append(f"Content-Length: {len(body.encode())}")
        return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()

    def _handle(self, data: bytes, source: tuple[str, int]) -> None:
        parsed = _parse(data)
        if parsed is None or parsed[0].startswith("SIP/2.0"):
            return  # responses (to our BYE) need nothing
        start, headers, body = parsed
        method = start.split(" ", 1)[0]
        call_id = headers.get("call-id", "")
        dialog = self._dialogs.get(call_id)
        if method == "INVITE":
            self._invite(start, headers, body, source, dialog)
        elif method == "ACK":
            if dialog is not None and dialog.record.final == 200:
                dialog.record.acked = True
                dialog.ok_retransmit_at = 0.0
        elif method == "CANCEL":
            self._send(self._response(200, "OK", headers), source)
            if dialog is not None and dialog.record.final is None:
                dialog.answer_at = None
                dialog.record.ended_by = "CANCEL"
                self._final(dialog, 487, "Request Terminated")
        elif method == "BYE":
            self._send(self._response(200, "OK", headers), source)
            if dialog is not None:
                dialog.record.ended_by = dialog.record.ended_by or "BYE from the bridge"
                self._end_media(dialog)
        elif method == "REFER":
            self._refer(headers, source, dialog)
        else:  # OPTIONS, INFO, NOTIFY ...
            self._send(self._response(200, "OK", headers), source)

    def _refer(self, headers: dict[str, str], source: tuple[str, int],
               dialog: _Dialog | None) -> None:
        answer = dialog.account.refer if dialog is not None else "refuse"
        first = False
        if dialog is not None:
            first = not dialog.record.refer_to
            dialog.record.refer_to = headers.get("refer-to", "")
        if answer == "ignore":
            return
        code = 202 if answer == "accept" and dialog is not None else 403
        self._send(self._response(code, "Accepted" if code == 202 else "Forbidden", headers,
                                  dialog.to_tag if dialog is not None else ""), source)
        if dialog is None:
            return
        dialog.record.refer_answer = code
        if code == 202 and first:
            refer_cseq = headers.get("cseq", "").split()[0]
            for frag in ("SIP/2.0 100 Trying", "SIP/2.0 200 OK"):
                self._in_dialog(dialog, "NOTIFY", (
                    f"Event: refer;id={refer_cseq}",
                    "Subscription-State: " + ("active;expires=60" if "100" in frag
                                              else "terminated;reason=noresource"),
                    "Content-Type: message/sipfrag;version=2.0"), frag + "\r\n")

    def _invite(self, start: str, headers: dict[str, str], body: str,
                source: tuple[str, int], dialog: _Dialog | None) -> None:
        cseq = headers.get("cseq", "")
        if dialog is not None and dialog.invite[1].get("cseq") == cseq:
            if dialog.last_response:  # a retransmission: the same answer again
                self._send(dialog.last_response, source)
            return
        _, host = _user_of(start.split(" ", 2)[1])
        account = self.accounts.get(host)
        if account is None or account.answer == "silent":
            call_id = headers.get("call-id", "")
            if account is not None and call_id not in self._silent:
                self._silent.add(call_id)  # retransmissions are the same call
                self._record(headers, host, start)
            return
        to_user, _ = _user_of(headers.get("to", ""))
        record = self._record(headers, host, start) if dialog is None else dialog.record
        dialog = _Dialog(record, account, (start, headers, body), source, secrets.token_hex(6))
        self._dialogs[record.call_id] = dialog
        self._send(self._response(100, "Trying", headers), source)
        record.offered = re.findall(r"^a=rtpmap:\d+ ([\w.-]+)/", body, re.M)
        if account.answer == "unavailable":
            self._final(dialog, 503, "Service Unavailable")
            return
        if account.username:
            verdict = self._check_auth(account, headers)
            if verdict is None:
                nonce = secrets.token_hex(12)
                self._nonces.add(nonce)
                name = "Proxy-Authenticate" if account.challenge == 407 else "WWW-Authenticate"
                reason = ("Proxy Authentication Required" if account.challenge == 407
                          else "Unauthorized")
                challenge = (f'{name}: Digest realm="{account.realm or account.host}", '
                             f'nonce="{nonce}", algorithm=MD5, qop="auth"')
                self._final(dialog, account.challenge, reason, extra=(challenge,))
                return
            record.authenticated = verdict
            if not verdict:
                self._final(dialog, 403, "Forbidden")
                return
        if account.numbers and not any(_same_number(to_user, n) for n in account.numbers):
            self._final(dialog, 404, "Not Found")
            return
        if any(_same_number(to_user, n) for n in account.busy):
            self._final(dialog, 486, "Busy Here")
            return
        codec = next((c for c in account.codecs if c.upper() in
                      (o.upper() for o in record.offered)), "")
        if not codec:
            self._final(dialog, 488, "Not Acceptable Here")
            return
        record.codec = codec
        dialog.payload_type = self._payload_type(body, codec)
        conn = re.search(r"^c=IN IP4 (\S+)", body, re.M)
        media = re.search(r"^m=audio (\d+)", body, re.M)
        if conn and media:
            dialog.remote_rtp = (conn.group(1), int(media.group(1)))
        contact = re.search(r"<([^>]+)>", headers.get("contact", ""))
        dialog.remote_contact = contact.group(1) if contact else ""
        ringing = self._response(180, "Ringing", headers, dialog.to_tag)
        self._send(ringing, source)
        dialog.last_response = ringing
        dialog.answer_at = time.monotonic() + account.ring

    def _record(self, headers: dict[str, str], host: str, start: str) -> CarrierCall:
        to_user, _ = _user_of(headers.get("to", ""))
        from_user, _ = _user_of(headers.get("from", ""))
        record = CarrierCall(headers.get("call-id", ""), host, to_user, from_user)
        self.calls.append(record)
        return record

    @staticmethod
    def _payload_type(sdp: str, codec: str) -> int:
        match = re.search(rf"^a=rtpmap:(\d+) {re.escape(codec)}/", sdp, re.M | re.I)
        return int(match.group(1)) if match else _PAYLOAD_TYPES.get(codec.upper(), 0)

    def _check_auth(self, account: CarrierAccount, headers: dict[str, str]) -> bool | None:
        """None: no credentials given (challenge); else whether they are right."""
        header = headers.get("proxy-authorization") or headers.get("authorization") or ""
        if not header.lower().startswith("digest"):
            return None
        p = _params(header)
        if p.get("nonce") not in self._nonces:
            return None  # not our nonce (stale): challenge again
        realm = account.realm or account.host
        if p.get("username") != account.username or p.get("realm") != realm:
            return False
        ha1 = hashlib.md5(f"{account.username}:{realm}:{account.password}".encode()).hexdigest()
        ha2 = hashlib.md5(f"INVITE:{p.get('uri', '')}".encode()).hexdigest()
        if p.get("qop"):
            expected = hashlib.md5(f"{ha1}:{p['nonce']}:{p.get('nc', '')}:{p.get('cnonce', '')}:"
                                   f"{p['qop']}:{ha2}".encode()).hexdigest()
        else:
            expected = hashlib.md5(f"{ha1}:{p['nonce']}:{ha2}".encode()).hexdigest()
        return secrets.compare_digest(expected, p.get("response", ""))

    def _final(self, dialog: _Dialog, code: int, reason: str, extra: Iterable[str] = (),
               body: str = "") -> None:
        data = self._response(code, reason, dialog.invite[1], dialog.to_tag, extra, body)
        dialog.last_response = data
        dialog.record.codes.append(code)
        self._send(data, dialog.source)

    def _tick(self) -> None:
        now = time.monotonic()
        for dialog in list(self._dialogs.values()):
            if dialog.answer_at is not None and now >= dialog.answer_at:
                dialog.answer_at = None
                self._answer(dialog)
            elif dialog.ok_retransmit_at and now >= dialog.ok_retransmit_at:
                if now - dialog.record.started > 32:
                    dialog.ok_retransmit_at = 0.0
                else:
                    self._send(dialog.last_response, dialog.source)
                    dialog.ok_interval = min(dialog.ok_interval * 2, 4.0)
                    dialog.ok_retransmit_at = now + dialog.ok_interval
            if (dialog.rtp is not None and not dialog.done
                    and now - dialog.record.started > self.max_call):
                self._bye(dialog)

    def _answer(self, dialog: _Dialog) -> None:
        rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rtp.bind((self.address, 0))
        dialog.rtp = rtp
        port = rtp.getsockname()[1]
        pt = dialog.payload_type
        sess = secrets.randbelow(1 << 31)
        media_ip = NOWHERE_IP if dialog.account.media == "wrong_address" else self.address
        sdp = (
            "v=0\r\n"
            f"o=carrier {sess} {sess} IN IP4 {media_ip}\r\n"
            "s=carrier stand-in\r\n"
            f"c=IN IP4 {media_ip}\r\n"
            "t=0 0\r\n"
            f"m=audio {port} RTP/AVP {pt} 101\r\n"
            f"a=rtpmap:{pt} {dialog.record.codec}/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\n"
            "a=fmtp:101 0-16\r\n"
            "a=ptime:20\r\n"
            "a=sendrecv\r\n"
        )
        contact = f"Contact: <sip:carrier@{self.address}:{self.port}>"
        self._final(dialog, 200, "OK", extra=(contact,), body=sdp)
        dialog.ok_retransmit_at = time.monotonic() + dialog.ok_interval
        threading.Thread(target=self._media, args=(dialog,), name="carrier-rtp",
                         daemon=True).start()

    def _media(self, dialog: _Dialog) -> None:
        """The tone out (20 ms frames) and a count of the packets in, until the call ends."""
        rtp = dialog.rtp
        assert rtp is not None
        rtp.settimeout(0.0)
        seq, ts, ssrc = secrets.randbelow(1 << 15), secrets.randbelow(1 << 30), secrets.randbits(32)
        offset, next_at = 0, time.monotonic()
        record = dialog.record
        decode = G711_DECODE.get(record.codec.upper())
        tone = _tone(dialog.account.tone_hz, record.codec.upper())
        sending = dialog.account.media != "no_send"
        while not dialog.done and not self._stop.is_set():
            with contextlib.suppress(BlockingIOError, OSError):
                while True:
                    packet, _ = rtp.recvfrom(2048)
                    record.rtp_received += 1
                    if decode is not None and len(packet) > 12 and packet[1] & 0x7F != 101:
                        record.samples.extend(decode[b] for b in packet[12:])
                        del record.samples[:-_KEEP_SAMPLES]
            if dialog.remote_rtp is not None and sending:
                frame = tone[offset:offset + 160]
                offset = (offset + 160) % len(tone)
                seq = (seq + 1) & 0xFFFF
                packet = struct.pack("!BBHII", 0x80, dialog.payload_type, seq, ts & 0xFFFFFFFF,
                                     ssrc) + frame
                with contextlib.suppress(OSError):
                    rtp.sendto(packet, dialog.remote_rtp)
                    dialog.record.rtp_sent += 1
                ts += 160
            next_at += 0.02
            time.sleep(max(0.0, next_at - time.monotonic()))
        with contextlib.suppress(OSError):
            rtp.close()

    def _end_media(self, dialog: _Dialog) -> None:
        dialog.done = True
        dialog.answer_at = None
        dialog.ok_retransmit_at = 0.0

    def _in_dialog(self, dialog: _Dialog, method: str, extra: Iterable[str] = (),
                   body: str = "") -> None:
        """A request of the carrier in an answered call's dialog (From and To swapped)."""
        _, headers, _ = dialog.invite
        to = headers.get("to", "")
        if ";tag=" not in to:
            to += f";tag={dialog.to_tag}"
        dialog.cseq += 1
        target = dialog.remote_contact or f"sip:{dialog.source[0]}:{dialog.source[1]}"
        lines = [
            f"{method} {target} SIP/2.0",
            f"Via: SIP/2.0/UDP {self.address}:{self.port};branch=z9hG4bK{secrets.token_hex(8)}",
            "Max-Forwards: 70",
            f"From: {to}",
            f"To: {headers.get('from', '')}",
            f"Call-ID: {headers.get('call-id', '')}",
            f"CSeq: {dialog.cseq} {method}",
            f"Contact: <sip:carrier@{self.address}:{self.port}>",
            *extra,
            f"Content-Length: {len(body.encode())}",
        ]
        self._send(("\r\n".join(lines) + "\r\n\r\n" + body).encode(), dialog.source)

    def _bye(self, dialog: _Dialog) -> None:
        """Hang up an answered call."""
        self._in_dialog(dialog, "BYE")
        dialog.record.ended_by = "BYE from the carrier"
        self._end_media(dialog)

_TONES: dict[tuple[float, str], bytes] = {}


def _tone(freq: float, codec: str) -> bytes:
    """One second of a sine tone at ``freq`` in ``codec`` (PCMU, PCMA; another codec gets
    PCMU bytes: noise, but audio), cached."""
    key = (freq, codec if codec == "PCMA" else "PCMU")
    if key not in _TONES:
        import math

        linear = [int(8000 * math.sin(2 * math.pi * freq * i / 8000)) for i in range(8000)]
        if key[1] == "PCMA":
            table = G711_DECODE["PCMA"]
            codes = sorted(range(256), key=lambda c: table[c])
            values = [table[c] for c in codes]
            import bisect

            out = bytearray()
            for x in linear:
                i = min(bisect.bisect_left(values, x), 255)
                if i > 0 and abs(values[i - 1] - x) <= abs(values[i] - x):
                    i -= 1
                out.append(codes[i])
            _TONES[key] = bytes(out)
        else:
            _TONES[key] = bytes(_linear_to_ulaw(x) for x in linear)
    return _TONES[key]


def default_accounts(addresses: Iterable[str]) -> list[CarrierAccount]:
    """What the real providers do for the hosts outbound trunks name, when a test says nothing
    else: a host the provider serves answers every number, without authentication; a host on a
    known provider's domain that it does not serve either answers 503 (Telnyx, to any
    subdomain of its SIP hosts, :data:`livekit_sip_core.providers.TELNYX`) or does not resolve;
    a host of an unknown provider answers."""
    from livekit_sip_core.addresses import host_of
    from livekit_sip_core.providers import TELNYX, provider_of

    accounts: dict[str, CarrierAccount] = {}
    for address in addresses:
        host = host_of(address)
        if not host or host in accounts:
            continue
        provider = provider_of(host)
        if provider is None or provider.serves(host):
            accounts[host] = CarrierAccount(host)
        elif provider is TELNYX and any(shape.fullmatch(host) for shape, _ in provider.mistakes):
            accounts[host] = CarrierAccount(host, answer="unavailable")
    return list(accounts.values())
