#!/usr/bin/python3
"""Writes the reference fixtures that the C++ tests of lift_stats compare against.

A driver only: it imports every module named ``ref_*.py`` in this folder and calls its
``generate(out_dir)``, which writes JSON files into ``out_dir`` (default: ``fixtures/`` next to
this file) and returns the list of paths it wrote. Modules are run in name order and must be
deterministic (fixed seeds), so re-running leaves committed fixtures unchanged.

Run with Debian's interpreter, which has numpy, scipy and statsmodels:
    /usr/bin/python3 tests/reference/generate.py            # every ref_*.py
    /usr/bin/python3 tests/reference/generate.py ref_ab     # only the named modules
"""

import argparse
import importlib.util
import pathlib
import sys


def load_module(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv):
    here = pathlib.Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="module names to run (default: all ref_*.py)")
    parser.add_argument("--out", type=pathlib.Path, default=here / "fixtures",
                        help="output folder (default: %(default)s)")
    args = parser.parse_args(argv)

    available = {path.stem: path for path in sorted(here.glob("ref_*.py"))}
    unknown = [name for name in args.modules if name not in available]
    if unknown:
        parser.error("unknown module(s) %s; available: %s" % (", ".join(unknown),
                                                              ", ".join(available)))
    selected = args.modules or list(available)

    args.out.mkdir(parents=True, exist_ok=True)
    # Let ref modules import small helpers that live beside them.
    sys.path.insert(0, str(here))
    for name in selected:
        module = load_module(available[name])
        if not hasattr(module, "generate"):
            raise SystemExit("%s.py has no generate(out_dir) function" % name)
        written = module.generate(args.out) or []
        for path in written:
            print("%s: wrote %s" % (name, pathlib.Path(path).name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
