"""What comparing trunk passwords costs in diff, per resource, for N outbound trunks:

    .venv/bin/python bench/digest.py [N ...]        (default 500; no LiveKit server needed)

The engine calls the provider's diff once per resource in every preview and up; for a trunk
with a password, diff compares the declared password with the digest its state records. Timed
in-process on the real provider (SipOutboundTrunkProvider.diff, the engine's RPC left out: it
is the same for every kind of digest), over N recorded trunks that each have their own salt:

  keyed   the keyed digest the providers record (hmac_sha256, key from the API secret);
  legacy  the pbkdf2_sha256 (20,000 rounds) digest earlier versions recorded, until the next
          refresh or update replaces it;
  none    trunks without a password: the cost of the rest of diff.

Figures only, nothing is asserted. bench/run.py prints the same as its ``digest`` section.
"""

from __future__ import annotations

import hashlib
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from livekit_sip_pulumi.providers import SipOutboundTrunkProvider, digest_key, password_digest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config

KINDS = ("keyed", "legacy", "none")
PASSWORD = "bench-trunk-password"


def _provider() -> SipOutboundTrunkProvider:
    provider = SipOutboundTrunkProvider()
    config = {
        "livekit:url": "http://127.0.0.1:9",
        "livekit:apiKey": "bench",
        "livekit:apiSecret": "bench-api-secret-0123456789abcdef",
    }
    provider.configure(ConfigureRequest(Config(config, "bench")))
    return provider


def _legacy(password: str, salt: str) -> str:
    derived = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 20_000)
    return f"pbkdf2_sha256:20000:{salt}:{derived.hex()}"


def _resources(kind: str, size: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(recorded outputs, declared inputs) of ``size`` trunks."""
    key = digest_key("bench-api-secret-0123456789abcdef")
    assert key is not None
    pairs = []
    for i in range(size):
        password = "" if kind == "none" else PASSWORD
        news = {
            "name": f"carrier-{i}",
            "address": "sip.telnyx.com",
            "numbers": [f"+1510555{i:04d}"],
            "auth_username": "acme" if password else "",
            "auth_password": password,
        }
        salt = f"salt{i:012d}"
        if kind == "keyed":
            digest = password_digest(PASSWORD, key, salt)
        elif kind == "legacy":
            digest = _legacy(PASSWORD, salt)
        else:
            digest = ""
        pairs.append(({**news, "auth_password": digest, "sip_trunk_id": f"ST_{i}"}, news))
    return pairs


def diff_seconds(kind: str, size: int, repeat: int = 3) -> float:
    """Median CPU seconds of diffing ``size`` unchanged trunks (all reported unchanged)."""
    provider = _provider()
    pairs = _resources(kind, size)
    runs = []
    for _ in range(repeat):
        started = time.process_time()
        for olds, news in pairs:
            result = provider.diff(olds["sip_trunk_id"], olds, dict(news))
            assert result.changes is False, (kind, olds["name"])
        runs.append(time.process_time() - started)
    return statistics.median(runs)


def table(sizes: list[int]) -> list[str]:
    """One row per size: per-resource diff cost of each kind of recorded digest, in ms."""
    rows = ["    N  keyed ms/res  legacy ms/res  none ms/res  legacy s per diff of all"]
    for size in sizes:
        cost = {kind: diff_seconds(kind, size) for kind in KINDS}
        rows.append(
            f"{size:>5} {1000 * cost['keyed'] / size:>13.3f} {1000 * cost['legacy'] / size:>14.3f}"
            f" {1000 * cost['none'] / size:>12.3f} {cost['legacy']:>25.2f}"
        )
    return rows


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [500]
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"diff cost per resource (CPU ms, median of 3), {os.cpu_count()} CPUs, load {load}")
    for line in table(sizes):
        print(line, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
