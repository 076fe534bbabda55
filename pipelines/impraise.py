"""Load every Impraise bucket into the warehouse: `python pipelines/impraise.py --help`.

A thin script over the `impraise_cli` package, which runs the `impraise_source` dlt
source: it picks the destination, keeps one run at a time, finishes what a killed run
left pending, loads, marks deletions after a full refresh, and prints a summary.
"""

import gc
import sys

try:
    from impraise_cli import main
except KeyboardInterrupt:  # Ctrl-C while dlt's modules load, a second or two
    print("impraise: error: interrupted by Ctrl-C (SIGINT) before the run began", file=sys.stderr)
    sys.exit(130)

if __name__ == "__main__":
    exit_code = main()
    # The process ends here. Without this, the interpreter's final garbage collections
    # walk every object dlt's imports created, a noticeable part of a no-change run
    # (docs/benchmarks.md). atexit handlers and output flushing still run.
    gc.freeze()
    sys.exit(exit_code)
