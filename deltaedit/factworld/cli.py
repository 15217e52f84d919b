"""``deltaedit-factworld build --preset default --out resources/factworld/default``

``deltaedit-factworld check --out DIR --arch llama`` re-measures the bar of models already trained."""
from __future__ import annotations

import argparse
import json
import logging
import sys

from deltaedit.factworld.build import PRESETS, build, check_model


def main(argv: list[str] | None = None) -> int:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--preset", default="default", choices=sorted(PRESETS))
    common.add_argument("--out", required=True)
    common.add_argument("--arch", action="append", choices=["gpt2", "llama"], help="default: both")
    common.add_argument("--log", default=None, help="log file (default: stderr)")
    ap = argparse.ArgumentParser(prog="deltaedit-factworld", description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", parents=[common], help="generate the world, pretrain the models, measure the bar")
    b.add_argument("--no-check", action="store_true")
    sub.add_parser("check", parents=[common], help="re-measure accuracy and editability of models already built in --out")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, filename=args.log, format="%(asctime)s %(name)s %(message)s")
    archs = tuple(args.arch or ("gpt2", "llama"))
    if args.cmd == "build":
        summary = build(args.preset, args.out, archs, check=not args.no_check)
    else:
        summary = {arch: check_model(args.preset, args.out, arch) for arch in archs}
    json.dump(summary, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
