"""Benchmarks of livekit-sip-pulumi (figures, not pass/fail): `make bench` runs bench/run.py."""
