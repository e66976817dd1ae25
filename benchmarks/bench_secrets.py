"""Secret detection: formats caught, prose left alone, and its cost per message.

    .venv/bin/python -m benchmarks.bench_secrets

Counts come from the samples the tests use (tests/secret_samples.py); timings are the median of
repeated runs of ``mask`` (what every log record and tool result goes through).
"""

import statistics
import time

from credentials.secrets import mask, redact_secrets
from tests.secret_samples import ISSUE_16, OURS, PROSE


def _median_ms(text: str, runs: int = 20) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        mask(text)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    """Print the figures the README quotes."""
    for name, samples in (("issue 16", ISSUE_16), ("ours", OURS)):
        caught = sum(s.secret in redact_secrets(s.text)[1].values() for s in samples)
        print(f"{name}: {caught}/{len(samples)} formats caught")
    untouched = sum(redact_secrets(p) == (p, {}) for p in PROSE)
    print(f"prose: {untouched}/{len(PROSE)} messages untouched")
    prose = " ".join(PROSE[:10])
    with_secrets = " ".join([prose, *(s.text for s in ISSUE_16)])
    for label, text in (
        ("20 kB prose", (prose * 50)[:20_000]),
        ("100 kB prose", (prose * 250)[:100_000]),
        ("20 kB with all 35 formats", (with_secrets * 5)[:20_000]),
    ):
        print(f"mask, {label}: {_median_ms(text):.1f} ms median")


if __name__ == "__main__":
    main()
