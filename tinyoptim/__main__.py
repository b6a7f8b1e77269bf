"""``python -m tinyoptim demo`` trains on the bundled digits; ``--version`` prints the version."""

from __future__ import annotations

import argparse
import sys

import tinyoptim


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m tinyoptim")
    parser.add_argument("--version", action="version", version=f"tinyoptim {tinyoptim.__version__}")
    parser.add_argument("command", choices=["demo"], help="demo: train on the bundled digits")
    args, rest = parser.parse_known_args(argv)
    if args.command == "demo":
        from tinyoptim.demo import main as demo

        return demo(rest)
    return 2


if __name__ == "__main__":
    sys.exit(main())
