"""``python -m tests.fakes FLAVOR [--port N] [--break CLAIM_ID ...]``: serve one fake until Ctrl-C."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading

from . import BREAKABLE, FLAVORS, FakeServer, base_url
from .faults import Flavor


def _hint(flavor: Flavor, url: str) -> str:
    return f"pytest --live --provider {flavor.name} --base-url {flavor.name}={url}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakes", description="Serve a fake provider API on 127.0.0.1."
    )
    parser.add_argument("flavor", choices=sorted(FLAVORS))
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    parser.add_argument("--break", dest="breaks", action="append", default=[], metavar="CLAIM_ID", help="break a claim")
    parser.add_argument("--list-breaks", action="store_true", help="print the claim ids this flavor can break")
    args = parser.parse_args(argv)
    if args.list_breaks:
        print("\n".join(sorted(BREAKABLE[args.flavor])))
        return 0
    try:
        server = FakeServer(args.flavor, args.breaks, port=args.port)
    except ValueError as exc:
        parser.error(str(exc))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop cleanly on kill as well as on Ctrl-C
    with server:
        url = base_url(args.flavor, server)
        print(url, flush=True)
        print(f"# a fake, not evidence; try: {_hint(FLAVORS[args.flavor], url)}  (Ctrl-C stops)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
