"""Benchmarks: what a stack of LiveKit SIP objects costs, separated into ours and Pulumi's.

`make bench` runs this under scripts/with-services.sh (Redis and livekit-server on loopback).
Figures only, nothing is asserted. Per size N (BENCH_SIZES, default 100,500,1000):

  (a) `pulumi up` / `pulumi destroy` of N LiveKit objects (bench/programs.py ``sip``): N/2
      inbound trunks, each with a dispatch rule dispatching an agent;
  (b) the same graph of N do-nothing dynamic resources (bench/noop_provider.py): the engine's
      floor for a Python dynamic provider;
  (c) the same LiveKit objects made by a plain livekit-api script, one call at a time and with
      10 calls in flight (bench/direct.py);

through the CLI (`pulumi up` in a generated project folder, the program as ``__main__.py`` run
by the Python language host) and the Automation API (an inline program). The providers talk to
the server through a counting proxy (bench/counting_proxy.py) that counts calls and bytes per
Twirp method. Peak RSS per kind of process is sampled from /proc, the state file is broken
down by key. Then: `pulumi preview` with no pack, a do-nothing pack and ours; `pulumi up` at
several --parallel settings; one create in an empty LiveKit project vs one holding 5,000
trunks; `livekit-sip doctor` over a project of 5,000 inbound trunks and 5,000 dispatch rules
(seeded with livekit-api, 10 calls in flight): listing and pure-analysis time. Last, what
comparing trunk passwords costs diff per resource, keyed vs legacy digests (bench/digest.py),
and the call classes and LKSSTK013-015 over stacks of growing size (bench/reachability.py, no
server). Last, number plans (``plan``): one SipNumberPlan of N lines (each an inbound trunk and
its dispatch rule) through the CLI: its up, an up with nothing to do, a one-line change (and
the LiveKit calls it made), preview without and with our pack, destroy; the raw livekit-api
script for the same 2N objects with 10 calls in flight, and the per-resource stack of the same
objects (``sip`` at 2N); ending with ``number plan: N lines, up X s, raw Y s (10 in flight),
ratio R``.

Environment knobs (defaults in brackets):
  BENCH_SIZES [100,500,1000]       BENCH_REPEAT [3 for N<=100, else 1; "2" or "3,1,1"]
  BENCH_AUTO_SIZES [100,500]       sizes also run through the Automation API
  BENCH_PREVIEW_SIZES [BENCH_SIZES]
  BENCH_PARALLEL [4,10,32]         BENCH_PARALLEL_SIZE [500]
  BENCH_CROWD [5000]               trunks in the crowded project
  BENCH_DOCTOR [5000]              inbound trunks (and as many dispatch rules) for doctor
  BENCH_SECTIONS [up,preview,parallel,crowd,doctor,digest,reach,plan]
  BENCH_PLAN_SIZES [200,1000]      lines of the number plan
  BENCH_PLAN_STACK_MAX [1000]      the per-resource stack is run up to this many lines
  BENCH_DIGEST_SIZES [500]         trunks diffed in the digest section
  BENCH_REACH [100,1000,1000+1000] sizes of the analysis over every call (bench/reachability.py)
  BENCH_WARMUP [1]                 0: no warm-up run first
  BENCH_NOOP_DESTROY_MAX [500]     (b)'s CLI destroy is timed up to this size

Columns of the up/destroy table: seconds of (a) up, (b) up, (c) sequential and 10 in flight,
the ratios (cpu/b: of the CPU seconds of everything each up ran), destroy seconds, LiveKit
calls per created resource and bytes listed per create (counting proxy), the engine's peak RSS
in MiB during (a) up, state bytes per resource of (a) and (b), and of that the SDK's recorded
stack trace per resource of (a).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import digest, direct
from bench.harness import (
    BENCH,
    ROOT,
    CliStack,
    CountingProxyProcess,
    LiveKit,
    ProcessSampler,
    RunFigures,
    run_automation,
    run_cli,
    stack_config,
)
from bench.reachability import section_reach

POLICY_PACK = ROOT / "policies"
NOOP_PACK = BENCH / "packs" / "noop"
RSS_KINDS = ("engine", "language host", "program", "provider", "policy pack")


def _ints(name: str, default: str) -> list[int]:
    raw = os.environ.get(name, default).strip()
    return [int(x) for x in raw.split(",") if x.strip()] if raw else []


def _repeats(sizes: Sequence[int]) -> dict[int, int]:
    raw = os.environ.get("BENCH_REPEAT", "").strip()
    if not raw:
        return {n: 3 if n <= 100 else 1 for n in sizes}
    values = [int(x) for x in raw.split(",")]
    if len(values) == 1:
        return dict.fromkeys(sizes, values[0])
    return dict(zip(sizes, values, strict=True))


def say(line: str = "") -> None:
    print(line, flush=True)


def _load() -> str:
    """The load averages over 1, 5 and 15 minutes: how shared the machine was."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _median_runs(runs: list[RunFigures]) -> RunFigures:
    """The figures of the run with the median up time (its RSS, state and counts)."""
    ordered = sorted(runs, key=lambda r: r.up_s)
    chosen = ordered[len(ordered) // 2]
    chosen.destroy_s = statistics.median(r.destroy_s for r in runs)
    return chosen


def _calls_per_create(calls: dict[str, dict[str, float]], size: int) -> tuple[float, float, str]:
    """Calls per created resource (deletes left out: the Automation API run counts its
    destroy too), bytes listed per create, and the calls by method."""
    calls = {m: c for m, c in calls.items() if not m.startswith("Delete")}
    total = sum(c["calls"] for c in calls.values())
    creates = sum(c["calls"] for m, c in calls.items() if m.startswith("Create"))
    listed = sum(c["response_bytes"] for m, c in calls.items() if m.startswith("List"))
    detail = ", ".join(f"{m} {int(c['calls'])}" for m, c in sorted(calls.items()))
    return total / size, listed / creates if creates else 0.0, detail


def _rss(figures: RunFigures) -> str:
    parts = []
    for kind in RSS_KINDS:
        entry = figures.rss.get(kind)
        if entry:
            # Several engine processes are the Automation API's helper commands; several
            # language hosts: the CLI starts one to ask for the program's plugins.
            many = entry["processes"] > 1 and kind in ("provider", "policy pack")
            count = f" x{int(entry['processes'])}" if many else ""
            parts.append(f"{kind} {entry['peak_mib']:.0f}{count}")
    return ", ".join(parts)


def _cpu(figures: RunFigures) -> str:
    """CPU seconds per kind of process, as sampled (a process's last 0.1 s may be missed)."""
    parts = []
    for kind in RSS_KINDS:
        entry = figures.rss.get(kind)
        if entry:
            parts.append(f"{kind} {entry['cpu_s']:.1f}")
    return ", ".join(parts)


def _state(figures: RunFigures, size: int) -> str:
    state = figures.state
    parts = sorted(state["parts"].items(), key=lambda kv: -kv[1])
    top = ", ".join(f"{k} {v / size:.0f}" for k, v in parts[:6])
    return f"{state['file_bytes'] / size:.0f} B/res in the file; by key (B/res): {top}"


def section_up(
    lk: LiveKit,
    sizes: list[int],
    repeats: dict[int, int],
    auto_sizes: list[int],
    proxy: CountingProxyProcess,
) -> list[str]:
    say("== up/destroy: (a) our resources, (b) do-nothing dynamic resources, (c) livekit-api")
    table = []
    for size in sizes:
        for path, runner in (("cli", run_cli), ("auto", run_automation)):
            noop_destroy = True
            if path == "auto" and size not in auto_sizes:
                continue
            sip_runs, noop_runs = [], []
            # (b)'s destroy is skipped above BENCH_NOOP_DESTROY_MAX (nothing to clean up, and
            # at 1,000 resources it costs as much as its up).
            noop_destroy = path == "auto" or size <= int(
                os.environ.get("BENCH_NOOP_DESTROY_MAX", "500")
            )
            for _ in range(repeats[size]):
                sip_runs.append(runner("sip", size, lk=lk, proxy=proxy))
                direct.delete_everything(lk.url, lk.api_key, lk.api_secret)
                if path == "cli":
                    noop = run_cli("noop", size, lk=None, proxy=None, skip_destroy=not noop_destroy)
                else:
                    noop = run_automation("noop", size, lk=None, proxy=None)
                noop_runs.append(noop)
            a, b = _median_runs(sip_runs), _median_runs(noop_runs)
            seq = statistics.median(_direct(lk, size, 1) for _ in range(repeats[size]))
            par = statistics.median(_direct(lk, size, 10) for _ in range(repeats[size]))
            per_res, listed, detail = _calls_per_create(a.calls, size)
            say(f"-- N={size} via {path} ({repeats[size]} run(s), load {_load()})")
            say(
                f"   (a) up {a.up_s:.2f} s ({1000 * a.up_s / size:.1f} ms/res), "
                f"destroy {a.destroy_s:.2f} s"
            )
            b_destroy = f"{b.destroy_s:.2f} s" if noop_destroy else "not measured"
            say(
                f"   (b) up {b.up_s:.2f} s ({1000 * b.up_s / size:.1f} ms/res), destroy {b_destroy}"
            )
            say(
                f"   CPU seconds of up: (a) {a.up_cpu_s:.2f}, (b) {b.up_cpu_s:.2f}, "
                f"a/b {a.up_cpu_s / b.up_cpu_s:.2f}"
            )
            say(f"   (c) sequential {seq:.3f} s, 10 in flight {par:.3f} s")
            say(
                f"   calls per created resource {per_res:.2f}; bytes listed per create "
                f"{listed:.0f} ({detail})"
            )
            say(f"   peak RSS MiB (a): {_rss(a)}")
            say(f"   peak RSS MiB (b): {_rss(b)}")
            say(f"   CPU s by process (a): {_cpu(a)}")
            say(f"   CPU s by process (b): {_cpu(b)}")
            say(f"   state (a): {_state(a, size)}")
            say(f"   state (b): {_state(b, size)}")
            table.append(
                f"{size:>5} {path:>4} {a.up_s:>8.2f} {b.up_s:>8.2f} {seq:>7.3f} {par:>7.3f} "
                f"{a.up_s / b.up_s:>5.2f} {a.up_cpu_s / b.up_cpu_s:>5.2f} "
                f"{a.up_s / seq:>6.0f} {a.up_s / par:>6.0f} "
                f"{a.destroy_s:>8.2f} {b.destroy_s if noop_destroy else float('nan'):>8.2f} "
                f"{per_res:>6.2f} {listed:>8.0f} "
                f"{a.rss.get('engine', {}).get('peak_mib', 0):>6.0f} "
                f"{a.state['file_bytes'] / size:>6.0f} {b.state['file_bytes'] / size:>6.0f} "
                f"{a.state['parts'].get('stackTrace', 0) / size:>6.0f}"
            )
    header = (
        "    N path   (a) up   (b) up (c) seq (c) x10   a/b cpu/b a/cseq a/cx10  (a) del  (b) del "
        "call/r B/create engMiB  B/r a  B/r b trace"
    )
    return [header, *table]


def _direct(lk: LiveKit, size: int, in_flight: int) -> float:
    seconds = direct.create_stack_objects(lk.url, lk.api_key, lk.api_secret, size, in_flight)
    direct.delete_everything(lk.url, lk.api_key, lk.api_secret)
    return seconds


def section_preview(lk: LiveKit, sizes: list[int], repeats: dict[int, int]) -> list[str]:
    say("== preview: no pack, a do-nothing pack (bench/packs/noop), ours (policies/)")
    say("   wall seconds and CPU seconds of the whole run (engine, language host, program,")
    say("   provider, pack); pack CPU: the analyzer process alone. CPU is what a shared machine")
    say("   measures best: ratios below are of CPU seconds.")
    table = []
    for size in sizes:
        state_dir = Path(tempfile.mkdtemp(prefix="lksp-bench-"))
        wall: dict[str, float] = {}
        cpu: dict[str, float] = {}
        pack_cpu: dict[str, float] = {}
        try:
            config, secret = stack_config("sip", size, lk.url, lk)
            stack = CliStack(state_dir, "preview", config, secret)
            for label, packs in (("none", []), ("noop", [NOOP_PACK]), ("ours", [POLICY_PACK])):
                runs = []
                for _ in range(repeats.get(size, 1)):
                    with ProcessSampler(os.getpid()) as sampler:
                        seconds = stack.preview(packs)
                    pack = sampler.by_kind().get("policy pack", {}).get("cpu_s", 0.0)
                    runs.append((seconds, stack.last_cpu_s, pack))
                wall[label] = statistics.median(r[0] for r in runs)
                cpu[label] = statistics.median(r[1] for r in runs)
                pack_cpu[label] = statistics.median(r[2] for r in runs)
        finally:
            shutil.rmtree(state_dir, ignore_errors=True)
        say(
            f"-- N={size}: wall none {wall['none']:.2f} s, do-nothing {wall['noop']:.2f} s, "
            f"ours {wall['ours']:.2f} s; CPU none {cpu['none']:.2f} s, do-nothing "
            f"{cpu['noop']:.2f} s, ours {cpu['ours']:.2f} s; pack CPU do-nothing "
            f"{pack_cpu['noop']:.2f} s, ours {pack_cpu['ours']:.2f} s (load {_load()})"
        )
        table.append(
            f"{size:>5} {wall['none']:>6.2f} {wall['noop']:>6.2f} {wall['ours']:>6.2f} "
            f"{cpu['none']:>6.2f} {cpu['noop']:>6.2f} {cpu['ours']:>6.2f} "
            f"{pack_cpu['noop']:>6.2f} {pack_cpu['ours']:>6.2f} "
            f"{cpu['ours'] / cpu['none']:>9.2f} {cpu['ours'] / cpu['noop']:>9.2f} "
            f"{cpu['noop'] / cpu['none']:>9.2f} {1000 * (cpu['ours'] - cpu['noop']) / size:>10.2f}"
        )
    header = (
        "      wall s ------------ CPU s -------------- pack CPU s -- CPU ratios ---------------\n"
        "    N   none   noop   ours   none   noop   ours   noop   ours ours/none ours/noop "
        "noop/none ms/res o-n"
    )
    return [header, *table]


def section_parallel(
    lk: LiveKit, size: int, settings: list[int], proxy: CountingProxyProcess
) -> list[str]:
    say(f"== pulumi up --parallel P, N={size} (CLI; the CLI's default is 4 x CPUs)")
    rows = []
    for parallel in settings:
        figures = run_cli("sip", size, lk=lk, proxy=proxy, parallel=parallel, skip_destroy=True)
        direct.delete_everything(lk.url, lk.api_key, lk.api_secret)
        say(
            f"-- --parallel {parallel}: up {figures.up_s:.2f} s "
            f"({1000 * figures.up_s / size:.1f} ms/res), engine peak "
            f"{figures.rss.get('engine', {}).get('peak_mib', 0):.0f} MiB (load {_load()})"
        )
        rows.append(f"{parallel:>8} {figures.up_s:>8.2f} {1000 * figures.up_s / size:>8.1f}")
    return ["parallel     up s ms/res", *rows]


def section_crowd(lk: LiveKit, crowd: int, proxy: CountingProxyProcess) -> list[str]:
    say(f"== one create: empty LiveKit project vs one holding {crowd} inbound trunks")
    direct.delete_everything(lk.url, lk.api_key, lk.api_secret)

    def one() -> tuple[float, float, float]:
        figures = run_cli("one", 1, lk=lk, proxy=proxy)
        _, listed, _ = _calls_per_create(figures.calls, 1)
        api_s = statistics.median(
            direct.one_create_seconds(lk.url, lk.api_key, lk.api_secret) for _ in range(3)
        )
        return figures.up_s, listed, api_s

    empty_up, empty_listed, empty_api = one()
    seeded = direct.seed_trunks(lk.url, lk.api_key, lk.api_secret, crowd)
    say(f"   seeded {crowd} trunks with livekit-api (10 in flight) in {seeded:.1f} s")
    full_up, full_listed, full_api = one()
    direct.delete_everything(lk.url, lk.api_key, lk.api_secret)
    return [
        f"                     empty  {crowd} trunks   ratio",
        f"pulumi up (1 trunk) {empty_up:>7.2f} s {full_up:>9.2f} s {full_up / empty_up:>7.2f}",
        f"bytes listed        {empty_listed:>9.0f} {full_listed:>11.0f}",
        f"create via the API  {1000 * empty_api:>6.1f} ms {1000 * full_api:>8.1f} ms "
        f"{full_api / empty_api:>7.2f}",
    ]


def section_doctor(lk: LiveKit, count: int) -> list[str]:
    say(f"== livekit-sip doctor over {count} inbound trunks + {count} dispatch rules")
    direct.delete_everything(lk.url, lk.api_key, lk.api_secret)
    trunks_s, rules_s = direct.seed_doctor_project(lk.url, lk.api_key, lk.api_secret, count)
    say(
        f"   seeded with livekit-api (10 in flight): {count} trunks in {trunks_s:.1f} s, "
        f"{count} rules in {rules_s:.1f} s"
    )
    script = Path(sys.executable).parent / "livekit-sip"
    env = {
        **os.environ,
        "LIVEKIT_URL": lk.url,
        "LIVEKIT_API_KEY": lk.api_key,
        "LIVEKIT_API_SECRET": lk.api_secret,
    }
    started = time.perf_counter()
    # The progress indicator goes to stderr (shown as it runs), the JSON report to stdout.
    done = subprocess.run(
        [str(script), "doctor", "--json"], env=env, stdout=subprocess.PIPE, text=True, check=False
    )
    wall = time.perf_counter() - started
    direct.delete_everything(lk.url, lk.api_key, lk.api_secret)
    if done.returncode not in (0, 1):
        raise SystemExit(f"livekit-sip doctor failed (exit {done.returncode})")
    report = json.loads(done.stdout)
    timings, summary = report["timings"], report["summary"]
    objects = sum(report["counts"].values())
    say(
        f"   {objects} objects: listed in {timings['list_seconds']:.2f} s "
        f"({timings['list_calls']} list calls), analysed in {timings['analysis_seconds']:.2f} s "
        f"({summary['rules_run']} rules, {summary['findings']} findings), command "
        f"{wall:.2f} s (load {_load()})"
    )
    return [
        "objects  list s  calls  analysis s  findings  command s",
        f"{objects:>7} {timings['list_seconds']:>7.2f} {timings['list_calls']:>6} "
        f"{timings['analysis_seconds']:>11.2f} {summary['findings']:>9} {wall:>10.2f}",
    ]


def section_digest(sizes: list[int]) -> list[str]:
    say("== diff of N unchanged outbound trunks with passwords, in-process (bench/digest.py):")
    say("   the keyed digest recorded now, the pbkdf2 digest of earlier versions, no password")
    rows = digest.table(sizes)
    for row in rows[1:]:
        say(f"   {row.strip()} (load {_load()})")
    return rows


def _calls(counts: dict[str, dict[str, float]], writes: bool = False) -> int:
    return int(sum(c["calls"] for m, c in counts.items() if not (writes and m.startswith("List"))))


def section_plan(lk: LiveKit, sizes: list[int], proxy: CountingProxyProcess) -> list[str]:
    say("== number plan: one SipNumberPlan of N lines (N inbound trunks + N rules), CLI")
    rows = []
    stack_max = int(os.environ.get("BENCH_PLAN_STACK_MAX", "1000"))
    for size in sizes:
        state_dir = Path(tempfile.mkdtemp(prefix="lksp-bench-"))
        try:
            # up, preview and destroy talk to the server directly, as the raw script does; the
            # up with nothing to do and the one-line change go through the counting proxy.
            config, secret = stack_config("plan", size, lk.url, lk)
            stack = CliStack(state_dir, "plan", config, secret)
            up = stack.up()
            stack._cli("config", "set", "--stack", "plan", "livekit:url", proxy.url)
            proxy.reset()
            idle = stack.up()
            idle_calls = _calls(proxy.counts())
            stack._cli("config", "set", "--stack", "plan", "bench:planChange", str(size // 2))
            proxy.reset()
            one = stack.up()
            one_calls, one_writes = _calls(proxy.counts()), _calls(proxy.counts(), writes=True)
            stack._cli("config", "set", "--stack", "plan", "livekit:url", lk.url)
            preview_none = stack.preview([])
            preview_ours = stack.preview([POLICY_PACK])
            destroy = stack.destroy()
        finally:
            shutil.rmtree(state_dir, ignore_errors=True)
        direct.delete_everything(lk.url, lk.api_key, lk.api_secret)
        raw = _direct(lk, 2 * size, 10)
        per_resource = "not run (BENCH_PLAN_STACK_MAX)"
        if size <= stack_max:
            figures = run_cli("sip", 2 * size, lk=lk, proxy=proxy)
            direct.delete_everything(lk.url, lk.api_key, lk.api_secret)
            per_resource = (
                f"up {figures.up_s:.2f} s, destroy {figures.destroy_s:.2f} s "
                f"(plan up is {figures.up_s / up:.1f}x faster)"
            )
        say(f"-- N={size} lines ({2 * size} objects; load {_load()})")
        say(f"   plan up {up:.2f} s, destroy {destroy:.2f} s")
        say(
            f"   up with nothing to do {idle:.2f} s ({idle_calls} calls); one-line change "
            f"{one:.2f} s ({one_writes} write call(s), {one_calls} in all), "
            f"{one / idle:.2f}x the idle up"
        )
        say(
            f"   preview without a pack {preview_none:.2f} s, with ours {preview_ours:.2f} s "
            f"({preview_ours / preview_none:.2f}x)"
        )
        say(f"   raw livekit-api, 10 in flight: {raw:.2f} s")
        say(f"   per-resource stack ({2 * size} resources): {per_resource}")
        rows.append(
            f"number plan: {size} lines, up {up:.2f} s, raw {raw:.2f} s (10 in flight), "
            f"ratio {up / raw:.1f}"
        )
    return rows


def main() -> None:
    lk = LiveKit.from_env()
    sizes = _ints("BENCH_SIZES", "100,500,1000")
    repeats = _repeats(sizes)
    sections = set(
        os.environ.get(
            "BENCH_SECTIONS", "up,preview,parallel,crowd,doctor,digest,reach,plan"
        ).split(",")
    )
    started = time.perf_counter()
    say(
        f"livekit-sip-pulumi benchmarks, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{os.cpu_count()} CPUs, load {_load()}, pulumi "
        f"{_version()}; sizes {sizes}, repeats {repeats}"
    )
    proxy = CountingProxyProcess(lk.url)
    # Warm-up: the first run compiles bytecode and fills the page cache.
    if os.environ.get("BENCH_WARMUP", "1") != "0":
        run_cli("noop", 2, lk=None, proxy=None)
    results: list[tuple[str, list[str]]] = []
    try:
        steps: list[tuple[str, Callable[[], list[str]]]] = []
        if "up" in sections:
            auto_sizes = _ints("BENCH_AUTO_SIZES", "100,500")
            steps.append(
                (
                    "up/destroy (medians, seconds)",
                    lambda: section_up(lk, sizes, repeats, auto_sizes, proxy),
                )
            )
        if "preview" in sections:
            preview_sizes = _ints("BENCH_PREVIEW_SIZES", ",".join(map(str, sizes)))
            steps.append(
                (
                    "preview with policy packs (medians, seconds)",
                    lambda: section_preview(lk, preview_sizes, _repeats(preview_sizes)),
                )
            )
        if "parallel" in sections:
            size = int(os.environ.get("BENCH_PARALLEL_SIZE", "500"))
            settings = _ints("BENCH_PARALLEL", "4,10,32")
            steps.append(
                (f"--parallel at N={size}", lambda: section_parallel(lk, size, settings, proxy))
            )
        if "crowd" in sections:
            crowd = int(os.environ.get("BENCH_CROWD", "5000"))
            steps.append(
                ("one create vs a crowded project", lambda: section_crowd(lk, crowd, proxy))
            )
        if "doctor" in sections:
            count = int(os.environ.get("BENCH_DOCTOR", "5000"))
            steps.append(
                (
                    f"livekit-sip doctor, {count} trunks + {count} rules",
                    lambda: section_doctor(lk, count),
                )
            )
        if "digest" in sections:
            digest_sizes = _ints("BENCH_DIGEST_SIZES", "500")
            steps.append(
                (
                    "diff cost of trunk passwords (CPU ms per resource)",
                    lambda: section_digest(digest_sizes),
                )
            )
        if "reach" in sections:
            reach = os.environ.get("BENCH_REACH", "100,1000,1000+1000").split(",")
            steps.append(
                ("call classes and LKSSTK013-015 (no server)", lambda: section_reach(reach))
            )
        if "plan" in sections:
            plan_sizes = _ints("BENCH_PLAN_SIZES", "200,1000")
            steps.append(("number plans", lambda: section_plan(lk, plan_sizes, proxy)))
        for title, step in steps:
            results.append((title, step()))
    finally:
        proxy.stop()
    say()
    say(f"== summary (load {_load()}, {time.perf_counter() - started:.0f} s in all)")
    for title, lines in results:
        say(f"-- {title}")
        for line in lines:
            say(line)


def _version() -> str:
    from bench.harness import pulumi_binary

    done = subprocess.run([pulumi_binary(), "version"], capture_output=True, text=True)
    return done.stdout.strip() or "?"


if __name__ == "__main__":
    main()
