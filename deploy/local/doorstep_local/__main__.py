"""``python -m doorstep_local run|demo``."""

from __future__ import annotations

import argparse
from pathlib import Path

from doorstep_local.demo import run_demo
from doorstep_local.stack import Stack, run_forever


def main() -> None:
    parser = argparse.ArgumentParser(prog="doorstep_local", description="Run Doorstep locally.")
    parser.add_argument("command", choices=["run", "demo"])
    parser.add_argument("--var", type=Path, default=Path("var"), help="data and log folder")
    parser.add_argument("--broker-port", type=int, default=9092)
    args = parser.parse_args()
    stack = Stack(args.var.resolve(), broker_port=args.broker_port)
    if args.command == "run":
        run_forever(stack)
    else:
        run_demo(stack)


if __name__ == "__main__":
    main()
