"""A small SIP user agent client over UDP: enough to place one test call at LiveKit's SIP bridge.

INVITE (retransmitted on RFC 3261 timer A until a provisional answer), digest authentication
when challenged (401/407), ACK of every final answer, PCMU audio (RTP, 20 ms frames of a
tone) once the call is answered, DTMF digits as RFC 4733 telephone events (for PIN prompts),
BYE to hang up, CANCEL when the call only rings. Bounded: every wait has a deadline, and a call
that got any provisional answer is always ended with CANCEL or BYE.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import re
import secrets
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["G711_DECODE", "CallLeg", "SipResponse", "UacError", "pcmu_tone", "tone_share"]

T1 = 0.5  # RFC 3261 round-trip estimate: INVITE retransmits at T1, 2*T1, 4*T1...
#: How long a carrier's answer to the bridge takes to arrive (seconds): across a network, tens
#: of milliseconds, never the fraction of a millisecond of the namespace's link. An answer that
#: fast meets a race in the bridge's SIP transaction layer (livekit/sipgo ``ClientTx.Init``
#: writes a request before it sets timer D's duration: a final answer handled in between
#: deletes the transaction at once, and the bridge may report the REFER it refused with 403 as
#: ``canceled: transaction failed to complete (0 intermediate responses)``). The carrier
#: stand-in (:mod:`.carrier`) and a call leg answering the bridge's requests as the carrier of
#: an inbound call wait this long before they answer.
NETWORK_LATENCY = 0.05
PCMU = 0
TELEPHONE_EVENT = 101
DTMF_CODES = {**{str(d): d for d in range(10)}, "*": 10, "#": 11}


class UacError(RuntimeError):
    pass


@dataclass
class SipResponse:
    code: int
    reason: str
    headers: dict[str, str]
    body: str
    at: float  # seconds since the INVITE was sent

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


def _linear_to_ulaw(sample: int) -> int:
    bias, clip = 0x84, 32635
    sign = 0x80 if sample < 0 else 0
    sample = min(abs(sample), clip) + bias
    exponent = 7
    mask = 0x4000
    while exponent > 0 and not sample & mask:
        exponent -= 1
        mask >>= 1
    mantissa = (sample >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def _ulaw_to_linear(byte: int) -> int:
    byte = ~byte & 0xFF
    sign, exponent, mantissa = byte & 0x80, (byte >> 4) & 0x07, byte & 0x0F
    sample = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return -sample if sign else sample


def _alaw_to_linear(byte: int) -> int:
    byte ^= 0x55
    sign, exponent, mantissa = byte & 0x80, (byte >> 4) & 0x07, byte & 0x0F
    sample = (mantissa << 4) + 8 if exponent == 0 else ((mantissa << 4) + 0x108) << (exponent - 1)
    return sample if sign else -sample


#: G.711 payload bytes to linear 16-bit samples, by encoding name.
G711_DECODE = {
    "PCMU": [_ulaw_to_linear(b) for b in range(256)],
    "PCMA": [_alaw_to_linear(b) for b in range(256)],
}


def tone_share(samples: list[int] | tuple[int, ...], freq: float, rate: int = 8000) -> float:
    """The share of the signal's power at ``freq`` (Goertzel over the samples): near 1 for a
    pure tone at ``freq``, near 0 for silence, noise or another tone."""
    n = len(samples)
    if n == 0:
        return 0.0
    k = round(n * freq / rate)
    coeff = 2 * math.cos(2 * math.pi * k / n)
    s1 = s2 = 0.0
    total = 0.0
    for x in samples:
        s1, s2 = x + coeff * s1 - s2, s1
        total += x * x
    power = s1 * s1 + s2 * s2 - coeff * s1 * s2
    return min(1.0, 2 * power / (n * total)) if total > n * 100 else 0.0


def pcmu_tone(freq: float = 440.0, seconds: float = 1.0, rate: int = 8000) -> bytes:
    """A sine tone as G.711 u-law samples (8 kHz)."""
    n = int(seconds * rate)
    return bytes(
        _linear_to_ulaw(int(8000 * math.sin(2 * math.pi * freq * i / rate))) for i in range(n)
    )


def _parse(data: bytes) -> tuple[str, dict[str, str], str] | None:
    try:
        text = data.decode("utf-8", "replace")
    except Exception:  # pragma: no cover - decode with replace does not raise
        return None
    head, _, body = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    headers: dict[str, str] = {}
    compact = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact", "l":
               "content-length", "c": "content-type"}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            continue
        key = name.strip().lower()
        key = compact.get(key, key)
        if key in headers and key in ("via", "www-authenticate", "proxy-authenticate"):
            headers[key] += "\n" + value.strip()
        else:
            headers[key] = value.strip()
    return lines[0], headers, body


def _digest(challenge: str, method: str, uri: str, username: str, password: str) -> str:
    params = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge.partition(" ")[2]))
    realm, nonce = params.get("realm", ""), params.get("nonce", "")
    algorithm = params.get("algorithm", "MD5")
    ha1 = hashlib.md5(f"{username}:{realm}:{password}".encode()).hexdigest()
    ha2 = hashlib.md5(f"{method}:{uri}".encode()).hexdigest()
    parts = [f'username="{username}"', f'realm="{realm}"', f'nonce="{nonce}"', f'uri="{uri}"']
    if "auth" in params.get("qop", "").split(","):
        cnonce, nc = secrets.token_hex(8), "00000001"
        response = hashlib.md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}".encode()).hexdigest()
        parts += ["qop=auth", f"nc={nc}", f'cnonce="{cnonce}"']
    else:
        response = hashlib.md5(f"{ha1}:{nonce}:{ha2}".encode()).hexdigest()
    parts += [f'response="{response}"', f"algorithm={algorithm}"]
    if "opaque" in params:
        parts.append(f'opaque="{params["opaque"]}"')
    return "Digest " + ", ".join(parts)


@dataclass
class CallLeg:
    """One outgoing call from ``local_ip`` to the bridge at ``bridge``.

    Use :meth:`invite`, then :meth:`wait_answer`; then :meth:`hangup` (BYE or CANCEL, whichever
    applies). :meth:`close` always releases the sockets and stops the audio.
    """

    bridge: tuple[str, int]
    to_number: str
    from_number: str
    local_ip: str
    to_host: str = ""
    from_host: str = ""
    auth_username: str = ""
    auth_password: str = field(default="", repr=False)
    log: Callable[[str], None] | None = None
    responses: list[SipResponse] = field(default_factory=list)
    rtp_received: int = 0
    answered_at: float | None = None
    remote_bye: bool = False
    silent: bool = False
    call_id: str = ""
    #: What the caller (the carrier, for an inbound call) does with the bridge's REFER (a
    #: transfer): "accept" (202, then NOTIFY 100 and 200: the transfer went through),
    #: "refuse" (403 Forbidden, as a carrier with REFER disabled may answer), "ignore" (no
    #: answer at all: the bridge's REFER transaction times out).
    refer: str = "accept"
    refer_to: str = ""  # the Refer-To of the REFER received
    refer_answer: int | None = None

    def __post_init__(self) -> None:
        self.sip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sip.bind((self.local_ip, 0))
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind((self.local_ip, 0))
        self.sip_port = self.sip.getsockname()[1]
        self.rtp_port = self.rtp.getsockname()[1]
        self.call_id = self.call_id or f"{secrets.token_hex(12)}@{self.local_ip}"
        self.from_tag = secrets.token_hex(6)
        self.to_tag = ""
        self.cseq = 0
        self.invite_cseq = 0
        self.branch = ""
        self.auth_header = ""
        self.remote_rtp: tuple[str, int] | None = None
        self.remote_contact = ""
        self.started = 0.0
        self.provisional = False
        self.final: SipResponse | None = None
        self._stop = threading.Event()
        self._audio: threading.Thread | None = None
        self._rtp_rx: threading.Thread | None = None
        self._dtmf: list[str] = []
        self._lock = threading.Lock()
        self._seq = secrets.randbelow(1 << 15)
        self._ts = secrets.randbelow(1 << 30)
        self._ssrc = secrets.randbits(32)

    # -- messages -----------------------------------------------------------------------------

    @property
    def request_uri(self) -> str:
        host = self.to_host or self.bridge[0]
        return f"sip:{self.to_number}@{host}:{self.bridge[1]}"

    def _say(self, line: str) -> None:
        if self.log is not None:
            self.log(line)

    def _request(self, method: str, cseq: int, branch: str, body: str = "", uri: str = "",
                 extra: tuple[str, ...] = (), content_type: str = "application/sdp") -> bytes:
        to = f"<sip:{self.to_number}@{self.to_host or self.bridge[0]}>"
        if self.to_tag and method != "CANCEL":
            to += f";tag={self.to_tag}"
        lines = [
            f"{method} {uri or self.request_uri} SIP/2.0",
            f"Via: SIP/2.0/UDP {self.local_ip}:{self.sip_port};branch={branch};rport",
            "Max-Forwards: 70",
            f"From: <sip:{self.from_number}@{self.from_host or self.local_ip}>;tag={self.from_tag}",
            f"To: {to}",
            f"Call-ID: {self.call_id}",
            f"CSeq: {cseq} {'INVITE' if method == 'ACK' and cseq == self.invite_cseq else method}",
            f"Contact: <sip:{self.from_number}@{self.local_ip}:{self.sip_port}>",
            "User-Agent: livekit-sip-pulumi-call-verifier",
            *extra,
        ]
        if body:
            lines.append(f"Content-Type: {content_type}")
        lines.append(f"Content-Length: {len(body.encode())}")
        return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()

    def _sdp(self) -> str:
        sess = secrets.randbelow(1 << 31)
        return (
            "v=0\r\n"
            f"o=- {sess} {sess} IN IP4 {self.local_ip}\r\n"
            "s=livekit-sip-pulumi\r\n"
            f"c=IN IP4 {self.local_ip}\r\n"
            "t=0 0\r\n"
            f"m=audio {self.rtp_port} RTP/AVP {PCMU} {TELEPHONE_EVENT}\r\n"
            f"a=rtpmap:{PCMU} PCMU/8000\r\n"
            f"a=rtpmap:{TELEPHONE_EVENT} telephone-event/8000\r\n"
            f"a=fmtp:{TELEPHONE_EVENT} 0-16\r\n"
            "a=ptime:20\r\n"
            "a=sendrecv\r\n"
        )

    def _send(self, data: bytes) -> None:
        self.sip.sendto(data, self.bridge)

    def _recv(self, timeout: float) -> tuple[str, dict[str, str], str] | None:
        self.sip.settimeout(max(timeout, 0.001))
        try:
            data, _ = self.sip.recvfrom(65535)
        except TimeoutError:
            return None
        return _parse(data)

    def _answer_request(self, start: str, headers: dict[str, str]) -> None:
        """Requests from the bridge: BYE (it hangs up), REFER (as :attr:`refer` says),
        anything else gets 200 OK."""
        method = start.split(" ", 1)[0]
        if method == "ACK":
            return
        if method == "BYE":
            self.remote_bye = True
            self._stop.set()
        status, first = "200 OK", False
        if method == "REFER":
            first = not self.refer_to
            self.refer_to = headers.get("refer-to", "") or self.refer_to
            if self.refer == "ignore":
                self._say("<- REFER (not answered)")
                return
            status = "202 Accepted" if self.refer == "accept" else "403 Forbidden"
            self.refer_answer = int(status.split()[0])
            self._say(f"<- REFER to {self.refer_to}, -> {status}")
        time.sleep(NETWORK_LATENCY)  # the carrier's answer crosses a network (see its doc)
        lines = [
            f"SIP/2.0 {status}",
            *(f"Via: {v}" for v in headers.get("via", "").split("\n") if v),
            f"From: {headers.get('from', '')}",
            f"To: {headers.get('to', '')}",
            f"Call-ID: {headers.get('call-id', '')}",
            f"CSeq: {headers.get('cseq', '')}",
            "Content-Length: 0",
        ]
        self._send(("\r\n".join(lines) + "\r\n\r\n").encode())
        if method == "REFER" and self.refer == "accept" and first:
            cseq = headers.get("cseq", "").split()[0]
            for frag in ("SIP/2.0 100 Trying", "SIP/2.0 200 OK"):
                self._notify(cseq, frag)

    def _notify(self, refer_cseq: str, sipfrag: str) -> None:
        """The REFER's progress (RFC 3515): a NOTIFY in the dialog with a sipfrag body."""
        self.cseq += 1
        final = not sipfrag.endswith("Trying")
        state = "terminated;reason=noresource" if final else "active;expires=60"
        body = sipfrag + "\r\n"
        data = self._request(
            "NOTIFY", self.cseq, "z9hG4bK" + secrets.token_hex(8), body,
            uri=self.remote_contact, content_type="message/sipfrag;version=2.0",
            extra=(f"Event: refer;id={refer_cseq}", f"Subscription-State: {state}"))
        self._send(data)
        self._say(f"-> NOTIFY {sipfrag}")

    # -- the call -----------------------------------------------------------------------------

    def invite(self) -> None:
        self.started = time.monotonic()
        self._send_invite()

    def _send_invite(self) -> None:
        self.cseq += 1
        self.invite_cseq = self.cseq
        self.branch = "z9hG4bK" + secrets.token_hex(8)
        extra = (self.auth_header,) if self.auth_header else ()
        self._invite_bytes = self._request("INVITE", self.cseq, self.branch, self._sdp(),
                                           extra=extra)
        self._send(self._invite_bytes)
        self._say(f"-> INVITE {self.request_uri} (Call-ID {self.call_id})")

    def _ack(self, response: SipResponse) -> None:
        # ACK of a non-2xx final answer reuses the INVITE's branch; of a 2xx it is a new one.
        branch = self.branch if response.code >= 300 else "z9hG4bK" + secrets.token_hex(8)
        uri = self.remote_contact if response.code < 300 and self.remote_contact else ""
        self._send(self._request("ACK", self.invite_cseq, branch, uri=uri))

    def wait_answer(self, ring_timeout: float, answer_timeout: float = 32.0,
                    silence_timeout: float = 3.0) -> SipResponse | None:
        """Wait for the final answer to the INVITE: None when it only rang for ``ring_timeout``
        (after a provisional answer) or got no answer at all for ``answer_timeout``.

        A ringing bridge repeats 180 Ringing every second; after a provisional answer,
        ``silence_timeout`` seconds without any message mean it dropped the call
        (:attr:`silent` is set)."""
        next_retransmit = time.monotonic() + T1
        interval = T1
        auth_tried = False
        ring_started: float | None = None
        last_message = time.monotonic()
        while True:
            now = time.monotonic()
            if ring_started is not None and now - ring_started >= ring_timeout:
                return None
            if self.provisional and now - last_message >= silence_timeout:
                self.silent = True
                return None
            if ring_started is None and now - self.started >= answer_timeout:
                return None
            if not self.provisional and now >= next_retransmit:
                self._send(self._invite_bytes)
                interval = min(interval * 2, 4.0)
                next_retransmit = now + interval
            msg = self._recv(min(0.1, max(next_retransmit - now, 0.001)))
            if msg is None:
                continue
            start, headers, body = msg
            last_message = time.monotonic()
            if not start.startswith("SIP/2.0"):
                self._answer_request(start, headers)
                continue
            if not headers.get("cseq", "").endswith("INVITE"):
                continue
            if int(headers.get("cseq", "0").split()[0]) != self.invite_cseq:
                continue
            code = int(start.split(" ", 2)[1])
            reason = start.split(" ", 2)[2] if start.count(" ") >= 2 else ""
            response = SipResponse(code, reason, headers, body, time.monotonic() - self.started)
            self.responses.append(response)
            self._say(f"<- {code} {reason} ({response.at:.2f} s)")
            tag = re.search(r";\s*tag=([^;>\s]+)", headers.get("to", ""))
            if code < 200:
                self.provisional = True
                if code >= 180 and ring_started is None:
                    ring_started = time.monotonic()
                continue
            if tag:
                self.to_tag = tag.group(1)
            if code in (401, 407) and not auth_tried and self.auth_username:
                self._ack(response)
                auth_tried = True
                challenge = headers.get(
                    "www-authenticate" if code == 401 else "proxy-authenticate", ""
                ).split("\n")[0]
                name = "Authorization" if code == 401 else "Proxy-Authorization"
                self.auth_header = f"{name}: " + _digest(
                    challenge, "INVITE", self.request_uri, self.auth_username, self.auth_password
                )
                self.to_tag = ""
                self.provisional = False
                self._send_invite()
                next_retransmit, interval = time.monotonic() + T1, T1
                continue
            self.final = response
            if code < 300:
                contact = re.search(r"<([^>]+)>", headers.get("contact", ""))
                self.remote_contact = contact.group(1) if contact else ""
                self._remote_media(body)
                self._ack(response)
                self.answered_at = response.at
                self._start_audio()
            else:
                self._ack(response)
            return response

    def _remote_media(self, sdp: str) -> None:
        conn = re.search(r"^c=IN IP4 (\S+)", sdp, re.M)
        media = re.search(r"^m=audio (\d+)", sdp, re.M)
        if conn and media:
            self.remote_rtp = (conn.group(1), int(media.group(1)))

    # -- media ----------------------------------------------------------------------------------

    def _rtp_packet(self, payload_type: int, payload: bytes, marker: bool, ts: int) -> bytes:
        self._seq = (self._seq + 1) & 0xFFFF
        return struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | payload_type, self._seq,
                           ts & 0xFFFFFFFF, self._ssrc) + payload

    def _start_audio(self) -> None:
        if self.remote_rtp is None or self._audio is not None:
            return
        tone = pcmu_tone(440.0, 1.0)

        def send() -> None:
            offset = 0
            next_at = time.monotonic()
            while not self._stop.is_set():
                with self._lock:
                    digits, self._dtmf = self._dtmf, []
                for digit in digits:
                    self._send_dtmf(digit)
                frame = tone[offset : offset + 160]
                offset = (offset + 160) % len(tone)
                assert self.remote_rtp is not None
                with contextlib.suppress(OSError):
                    self.rtp.sendto(self._rtp_packet(PCMU, frame, False, self._ts), self.remote_rtp)
                self._ts += 160
                next_at += 0.02
                self._stop.wait(max(0.0, next_at - time.monotonic()))

        def receive() -> None:
            self.rtp.settimeout(0.2)
            while not self._stop.is_set():
                try:
                    self.rtp.recvfrom(2048)
                except TimeoutError:
                    continue
                except OSError:
                    return
                self.rtp_received += 1

        self._audio = threading.Thread(target=send, name="uac-rtp-tx", daemon=True)
        self._rtp_rx = threading.Thread(target=receive, name="uac-rtp-rx", daemon=True)
        self._audio.start()
        self._rtp_rx.start()

    def _send_dtmf(self, digit: str) -> None:
        """RFC 4733: one event, 3 packets of 'in progress' then 3 end packets, one timestamp."""
        assert self.remote_rtp is not None
        code = DTMF_CODES[digit]
        ts = self._ts
        for i in range(9):
            end = i >= 6
            duration = 160 * (i + 1) if not end else 160 * 7
            payload = struct.pack("!BBH", code, (0x80 if end else 0) | 10, duration)
            self.rtp.sendto(self._rtp_packet(TELEPHONE_EVENT, payload, i == 0, ts),
                            self.remote_rtp)
            if i < 6:
                time.sleep(0.02)
        self._ts += 160 * 8
        time.sleep(0.08)

    def send_digits(self, digits: str) -> None:
        """Queue DTMF digits (sent in the audio stream, in order)."""
        with self._lock:
            self._dtmf.extend(digits)

    def listen(self, seconds: float) -> None:
        """Keep the call up for ``seconds``, answering the bridge's requests (BYE ends it)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end and not self.remote_bye:
            msg = self._recv(min(0.1, end - time.monotonic()))
            if msg is not None and not msg[0].startswith("SIP/2.0"):
                self._answer_request(msg[0], msg[1])

    # -- ending -----------------------------------------------------------------------------------

    def hangup(self, timeout: float = 4.0) -> str:
        """End the call as its state needs: BYE when answered, CANCEL while it rings; nothing
        when it already ended. Returns what was done."""
        if self.final is not None and self.final.code >= 300:
            return "rejected"
        if self.remote_bye:
            return "hung up by the bridge"
        if self.final is not None and self.final.code < 300:
            self.cseq += 1
            uri = self.remote_contact or ""
            self._stop.set()
            return self._transaction("BYE", self.cseq, "z9hG4bK" + secrets.token_hex(8),
                                     uri, timeout)
        # No final answer yet: CANCEL the INVITE (same CSeq number and branch), then ACK the
        # 487 the INVITE gets.
        self._stop.set()
        if self.silent:
            timeout = min(timeout, 1.5)
        done = self._transaction("CANCEL", self.invite_cseq, self.branch, "", timeout)
        end = time.monotonic() + (timeout if done != "CANCEL (no answer)" else 0.0)
        while time.monotonic() < end:
            msg = self._recv(min(0.2, end - time.monotonic()))
            if msg is None:
                continue
            start, headers, _ = msg
            if start.startswith("SIP/2.0") and headers.get("cseq", "").endswith("INVITE"):
                code = int(start.split(" ", 2)[1])
                if code >= 200:
                    response = SipResponse(code, start.split(" ", 2)[-1], headers, "",
                                           time.monotonic() - self.started)
                    self.responses.append(response)
                    self.final = response
                    if code < 300:  # answered just before the CANCEL: ACK, then BYE
                        tag = re.search(r";\s*tag=([^;>\s]+)", headers.get("to", ""))
                        self.to_tag = tag.group(1) if tag else self.to_tag
                        contact = re.search(r"<([^>]+)>", headers.get("contact", ""))
                        self.remote_contact = contact.group(1) if contact else ""
                        self._ack(response)
                        self.cseq += 1
                        self._transaction("BYE", self.cseq, "z9hG4bK" + secrets.token_hex(8),
                                          self.remote_contact, timeout)
                    else:
                        self._ack(response)
                    break
            elif not start.startswith("SIP/2.0"):
                self._answer_request(start, headers)
        return done

    def _transaction(self, method: str, cseq: int, branch: str, uri: str, timeout: float) -> str:
        data = self._request(method, cseq, branch, uri=uri)
        end = time.monotonic() + timeout
        interval, next_send = T1, 0.0
        while time.monotonic() < end:
            if time.monotonic() >= next_send:
                self._send(data)
                next_send = time.monotonic() + interval
                interval = min(interval * 2, 4.0)
            msg = self._recv(min(0.1, end - time.monotonic()))
            if msg is None:
                continue
            start, headers, _ = msg
            if not start.startswith("SIP/2.0"):
                self._answer_request(start, headers)
                continue
            if headers.get("cseq", "") == f"{cseq} {method}":
                code = int(start.split(" ", 2)[1])
                if code >= 200:
                    self._say(f"-> {method}, <- {code}")
                    return f"{method} {code}"
        self._say(f"-> {method}, no answer within {timeout:.0f} s")
        return f"{method} (no answer)"

    def close(self) -> None:
        self._stop.set()
        for thread in (self._audio, self._rtp_rx):
            if thread is not None:
                thread.join(timeout=2)
        self.sip.close()
        self.rtp.close()


def local_ip_for(remote: str) -> str:
    """The address the kernel would send from to reach ``remote``."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect((remote, 9))
        return str(s.getsockname()[0])


if os.name != "posix":  # pragma: no cover
    raise ImportError("the call verifier needs Linux (network namespaces)")
