#!/usr/bin/env python3
"""Runs one libFuzzer target for ctest (label fuzz).

Seeds a corpus from hex fields of the official RFC 9420 vectors and from seed files kept in the
tree (--seed-dir), then runs the fuzzer for
CONCLAVE_FUZZ_SECONDS (default 60) seconds. The exit status is the fuzzer's: a crash, a leak, a
sanitizer report or a timeout makes the test fail. Crash inputs land in <work-dir>/artifacts/.

Layout of <work-dir>: seeds/ (rewritten on every run, read-only for libFuzzer), corpus/ (kept
between runs: what the fuzzer found grows there), artifacts/ (crash-*, leak-*, timeout-*).
"""
import argparse
import fnmatch
import hashlib
import json
import os
import shutil
import subprocess
import sys


def hex_values(node, patterns):
    """Yields string values of `node` (any nesting) whose key matches one of `patterns`."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str):
                if any(fnmatch.fnmatchcase(key, p) for p in patterns):
                    yield value
            else:
                yield from hex_values(value, patterns)
    elif isinstance(node, list):
        for value in node:
            yield from hex_values(value, patterns)


def write_seeds(vectors_dir, specs, seeds_dir):
    """specs: ["file.json:glob,glob", ...]. Returns the number of distinct seeds written."""
    shutil.rmtree(seeds_dir, ignore_errors=True)
    os.makedirs(seeds_dir)
    written = set()
    for spec in specs:
        file_name, _, fields = spec.partition(":")
        patterns = [f for f in fields.split(",") if f]
        path = os.path.join(vectors_dir, file_name)
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        count = 0
        for text in hex_values(doc, patterns):
            try:
                data = bytes.fromhex(text)
            except ValueError:
                continue  # a non-hex string field: not a wire value
            digest = hashlib.sha1(data).hexdigest()
            count += 1
            if digest not in written:
                written.add(digest)
                with open(os.path.join(seeds_dir, digest), "wb") as out:
                    out.write(data)
        if count == 0:
            # A field name typo would otherwise silently fuzz from nothing.
            sys.exit(f"run_fuzz: no hex field matching {patterns} in {path}")
        print(f"run_fuzz: {count} seeds from {file_name} {patterns}")
    return len(written)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fuzzer", required=True)
    parser.add_argument("--work-dir", required=True)
    parser.add_argument("--vectors-dir", required=True, help="default when MLS_TEST_VECTORS is unset")
    parser.add_argument("--seeds", nargs="*", default=[], help="file.json:field-glob,field-glob")
    parser.add_argument("--seed-dir", help="a folder of seed files, copied in as they are")
    parser.add_argument("--dict", help="a libFuzzer dictionary (-dict=)")
    args = parser.parse_args()

    vectors_dir = os.environ.get("MLS_TEST_VECTORS") or args.vectors_dir
    if args.seeds and not os.path.isdir(vectors_dir):
        sys.exit(f"run_fuzz: vectors folder {vectors_dir} not found; set MLS_TEST_VECTORS")
    seconds = int(os.environ.get("CONCLAVE_FUZZ_SECONDS", "60"))

    seeds_dir = os.path.join(args.work_dir, "seeds")
    corpus_dir = os.path.join(args.work_dir, "corpus")
    artifacts_dir = os.path.join(args.work_dir, "artifacts")
    os.makedirs(corpus_dir, exist_ok=True)
    os.makedirs(artifacts_dir, exist_ok=True)
    n = write_seeds(vectors_dir, args.seeds, seeds_dir)
    if args.seed_dir:
        names = sorted(os.listdir(args.seed_dir))
        if not names:
            sys.exit(f"run_fuzz: no seed files in {args.seed_dir}")
        for name in names:
            shutil.copy(os.path.join(args.seed_dir, name), os.path.join(seeds_dir, "dir-" + name))
        n += len(names)
        print(f"run_fuzz: {len(names)} seeds from {args.seed_dir}")
    print(f"run_fuzz: {n} distinct seeds, fuzzing {seconds}s", flush=True)

    cmd = [args.fuzzer, f"-max_total_time={seconds}", "-print_final_stats=1", "-timeout=30",
           "-rss_limit_mb=2560", f"-artifact_prefix={artifacts_dir}/"]
    if args.dict:
        cmd.append(f"-dict={args.dict}")
    cmd += [corpus_dir, seeds_dir]
    print("run_fuzz: " + " ".join(cmd), flush=True)
    status = subprocess.run(cmd, check=False).returncode
    if status < 0:
        status = 128 - status  # killed by a signal: still a failure, as a shell would report it
    if status != 0:
        found = sorted(os.listdir(artifacts_dir))
        print(f"run_fuzz: FAILED with status {status}; artifacts in {artifacts_dir}: {found}")
        print(f"run_fuzz: reproduce with {args.fuzzer} {artifacts_dir}/<file>")
    return status


if __name__ == "__main__":
    sys.exit(main())
