#!/usr/bin/env python3
"""Generates the lift.v1 Python modules (messages and gRPC stubs) from proto/lift/v1/*.proto.

Uses Debian's tools only: /usr/bin/protoc (protobuf-compiler, 3.21) with /usr/bin/grpc_python_plugin
(protobuf-compiler-grpc); the modules need python3-grpcio and python3-protobuf. The output goes into
clients/python/lift/v1/ (gitignored: /clients/python/lift/v1/*_pb2*.py). Files are written to a
temporary directory first and moved into place one by one, so concurrent runs (several build
directories) never leave a half-written module behind.

Usage:
  /usr/bin/python3 clients/python/generate.py            # always regenerate
  /usr/bin/python3 clients/python/generate.py --if-stale # only when a .proto is newer

Exit status 0 on success; 1 with protoc's message on failure.
"""

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PROTO_ROOT = os.path.normpath(os.path.join(HERE, "..", "..", "proto"))
PACKAGE_DIR = os.path.join("lift", "v1")


def _protoc_command(proto_root, out_dir, protos):
    """Returns the argv that generates messages and stubs for `protos` into `out_dir`.

    Raises RuntimeError when protoc or the plugin is missing. (python3-grpc-tools is not a
    fallback: Debian 12's bundles protoc 3.6, which rejects proto3 `optional` fields.)
    """
    protoc = shutil.which("protoc") or "/usr/bin/protoc"
    plugin = shutil.which("grpc_python_plugin") or "/usr/bin/grpc_python_plugin"
    for tool, package in ((protoc, "protobuf-compiler"), (plugin, "protobuf-compiler-grpc")):
        if not os.access(tool, os.X_OK):
            raise RuntimeError(f"{os.path.basename(tool)} not found: apt-get install {package}")
    return [protoc, f"--plugin=protoc-gen-grpc_python={plugin}", f"-I{proto_root}",
            f"--python_out={out_dir}", f"--grpc_python_out={out_dir}", *protos]


def _outputs(out_root):
    return sorted(glob.glob(os.path.join(out_root, PACKAGE_DIR, "*_pb2*.py")))


def is_stale(proto_root=DEFAULT_PROTO_ROOT, out_root=HERE):
    """True when an expected module is missing or older than its .proto or this script."""
    protos = sorted(glob.glob(os.path.join(proto_root, "lift", "v1", "*.proto")))
    newest_input = max([os.path.getmtime(p) for p in protos] + [os.path.getmtime(__file__)])
    for proto in protos:
        stem = os.path.splitext(os.path.basename(proto))[0]
        for suffix in ("_pb2.py", "_pb2_grpc.py"):
            path = os.path.join(out_root, PACKAGE_DIR, stem + suffix)
            if not os.path.exists(path) or os.path.getmtime(path) < newest_input:
                return True
    return False


def generate(proto_root=DEFAULT_PROTO_ROOT, out_root=HERE):
    """Generates every lift/v1 module into out_root/lift/v1. Raises RuntimeError on failure."""
    protos = sorted(glob.glob(os.path.join(proto_root, "lift", "v1", "*.proto")))
    if not protos:
        raise RuntimeError(f"no .proto files under {proto_root}/lift/v1")
    target = os.path.join(out_root, PACKAGE_DIR)
    os.makedirs(target, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lift-pygen-", dir=target) as tmp:
        command = _protoc_command(proto_root, tmp, protos)
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr}")
        produced = sorted(glob.glob(os.path.join(tmp, PACKAGE_DIR, "*_pb2*.py")))
        if not produced:
            raise RuntimeError("protoc produced no modules")
        names = set()
        for path in produced:
            name = os.path.basename(path)
            names.add(name)
            os.replace(path, os.path.join(target, name))  # atomic per file
    for stale in _outputs(out_root):  # modules of protos that no longer exist
        if os.path.basename(stale) not in names:
            os.remove(stale)
    return sorted(names)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proto-root", default=DEFAULT_PROTO_ROOT,
                        help="folder holding lift/v1/*.proto")
    parser.add_argument("--out", default=HERE, help="folder holding the lift package")
    parser.add_argument("--if-stale", action="store_true",
                        help="skip when the output is up to date")
    args = parser.parse_args(argv)
    if args.if_stale and not is_stale(args.proto_root, args.out):
        print("lift/v1 Python modules are up to date")
        return 0
    try:
        names = generate(args.proto_root, args.out)
    except RuntimeError as error:
        print(f"generate.py: {error}", file=sys.stderr)
        return 1
    print(f"generated {len(names)} modules into {os.path.join(args.out, PACKAGE_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
