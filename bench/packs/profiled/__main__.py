"""The livekit-sip policy pack, profiled: the same policies (livekit_sip_policies.pack), with
the analyzer's Analyze / AnalyzeStack calls and each policy's validate function timed, and
everything the analyzer does under cProfile. After each AnalyzeStack the figures are written to
$LKSP_PACK_PROFILE (.json timings, .pstats profile). Used by bench/pack_profile.py only.
"""

import cProfile
import json
import os
import threading
import time
from collections import defaultdict

from livekit_sip_policies.pack import PACK_NAME, build_policies
from pulumi_policy import PolicyPack
from pulumi_policy import policy as policy_module

OUT = os.environ["LKSP_PACK_PROFILE"]
profile = cProfile.Profile()
# One call profiled at a time: cProfile follows one thread, the engine calls in parallel.
lock = threading.Lock()
seconds: dict = defaultdict(float)
calls: dict = defaultdict(int)


def timed(name, function):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            seconds[name] += time.perf_counter() - start
            calls[name] += 1

    return wrapper


def profiled(name, method):
    def wrapper(self, request, context):
        with lock:
            start = time.perf_counter()
            profile.enable()
            try:
                return method(self, request, context)
            finally:
                profile.disable()
                seconds[name] += time.perf_counter() - start
                calls[name] += 1
                if name == "AnalyzeStack":
                    dump()

    return wrapper


def dump():
    profile.dump_stats(OUT + ".pstats")
    with open(OUT + ".json", "w") as f:
        json.dump({"seconds": seconds, "calls": calls}, f)


servicer = policy_module._PolicyAnalyzerServicer
servicer.Analyze = profiled("Analyze", servicer.Analyze)
servicer.AnalyzeStack = profiled("AnalyzeStack", servicer.AnalyzeStack)

policies = build_policies()
for p in policies:
    p.validate = timed(f"validate {p.name}", p.validate)

PolicyPack(name=PACK_NAME, policies=policies)
