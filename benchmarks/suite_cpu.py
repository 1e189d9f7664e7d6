"""Where the suite's CPU went: the sums of a run made with ``OFFLINE_INDEX_SUITE_CPU_LOG=DIR``
(tests/support/cpu_log.py), by test file and by test, the largest first::

    OFFLINE_INDEX_SUITE_CPU_LOG=/tmp/cpu python3 -m pytest tests -n 4 --dist loadgroup
    python3 benchmarks/suite_cpu.py /tmp/cpu --top 25
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    tests: list[dict[str, object]] = []
    machine: list[dict[str, float]] = []
    for log in sorted(args.directory.glob("*.jsonl")):
        lines = [json.loads(line) for line in log.read_text().splitlines() if line]
        (machine if log.stem == "machine" else tests).extend(lines)
    total = sum(float(str(t["cpu"])) for t in tests)
    print(f"{len(tests)} tests, {total:.0f} s of CPU counted")
    for m in machine:
        print(f"the machine over the session: {m['cpu']:.0f} s of CPU in {m['wall']:.0f} s "
              f"(the tests' lines cover {100 * total / max(m['cpu'], 1):.0f} %)")
    by_file: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for t in tests:
        name = str(t["test"]).split("::", 1)[0]
        by_file[name][0] += float(str(t["cpu"]))
        by_file[name][1] += 1
    print(f"\nby file (top {args.top}): CPU s, share, tests, CPU s per test")
    for name, (cpu, n) in sorted(by_file.items(), key=lambda kv: -kv[1][0])[:args.top]:
        print(f"{cpu:8.1f} {100 * cpu / total:5.1f} % {n:4.0f} {cpu / n:7.1f}  {name}")
    print(f"\nby test (top {args.top}): CPU s, wall s")
    for t in sorted(tests, key=lambda t: -float(str(t["cpu"])))[:args.top]:
        print(f"{float(str(t['cpu'])):8.1f} {float(str(t['wall'])):8.1f}  {t['test']}")


if __name__ == "__main__":
    main()
