#!/usr/bin/env bash
# Runs Conclave's whole test suite; CI calls it through .ci/run. Run as root on Debian 12.
#
#   1. installs the packages of deploy/packages.txt (deploy/local-stack.sh packages)
#   2. GCC + AddressSanitizer + UndefinedBehaviorSanitizer unity build in build-asan/, then
#      `ctest --output-on-failure -j2` over every label except fuzz
#   3. clang 14 libFuzzer build in build-fuzz/, then `ctest -L fuzz`
#      (CONCLAVE_FUZZ_SECONDS per target, default 60)
#
# Every phase runs even if an earlier one failed (tests run on whatever did build); a summary with each phase's time
# is printed at the end and the exit status is non-zero if anything failed.
#
# Environment: MLS_TEST_VECTORS (official vectors folder; default ../shared/mls-test-vectors
# beside the repository), CONCLAVE_FUZZ_SECONDS, CONCLAVE_SKIP_FUZZ=1 (skip phase 3),
# CONCLAVE_JOBS (build parallelism, default nproc), CONCLAVE_UNITY_BATCH (.cpp files per unity
# translation unit, default 16), CONCLAVE_ASAN_DIR / CONCLAVE_FUZZ_DIR (build
# directories, default build-asan/ and build-fuzz/ in the repository).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ASAN_DIR=${CONCLAVE_ASAN_DIR:-$ROOT/build-asan}
FUZZ_DIR=${CONCLAVE_FUZZ_DIR:-$ROOT/build-fuzz}
JOBS=${CONCLAVE_JOBS:-$(nproc)}
export CTEST_OUTPUT_ON_FAILURE=1

PHASES=()  # "name|status|seconds"
FAILED=0

# phase NAME CMD...: runs CMD, records its status and duration; never aborts the script.
phase() {
  local name=$1 start status
  shift
  printf '\n==== %s ====\n' "$name"
  start=$(date +%s)
  if "$@"; then status=ok; else
    status=FAILED
    FAILED=1
  fi
  PHASES+=("$name|$status|$(($(date +%s) - start))")
  [[ $status == ok ]]
}

skip() {
  PHASES+=("$1|skipped ($2)|0")
}

summary() {
  printf '\n==== summary ====\n'
  local entry name status secs
  for entry in "${PHASES[@]}"; do
    IFS='|' read -r name status secs <<<"$entry"
    printf '  %-28s %-34s %5ss\n' "$name" "$status" "$secs"
  done
  if ((FAILED)); then echo "RESULT: FAILED"; else echo "RESULT: all passed"; fi
}

# ---- HOOK: test servers ----------------------------------------------------------------------
# The integration, e2e, fault and federation labels need PostgreSQL, Prosody and ejabberd on
# loopback. tests/harness/with-servers.sh CMD (owned by the harness work) starts throwaway servers
# ($CONCLAVE_TEST_SERVERS), exports their addresses as CONCLAVE_TEST_* variables, runs CMD and
# stops them afterwards, also on failure. Servers whose harness script does not exist yet are
# skipped by it. Without the wrapper the command runs bare.
HARNESS=$ROOT/tests/harness/with-servers.sh
with_test_servers() {
  if [[ -x $HARNESS ]]; then
    CONCLAVE_TEST_SERVERS=${CONCLAVE_TEST_SERVERS:-postgres ejabberd prosody} "$HARNESS" "$@"
  else
    "$@"
  fi
}
# -----------------------------------------------------------------------------------------------

# What makes the two builds cheap (docs/benchmarks.md, "CI build"):
#  - unity builds: up to CONCLAVE_UNITY_BATCH .cpp files of a target per compiler run, so the
#    headers (GoogleTest, Boost.Asio, the standard library) are parsed once per batch;
#  - line tables only (-g1): sanitizer reports keep file:line, and compiling and linking skip
#    the full DWARF (a GoogleTest file with ASan: 101 s at -O2 -g, 63 s at -O2 -g1);
#  - the ASan build at -O1, the optimisation AddressSanitizer's authors recommend (that file:
#    42 s); the fuzz build keeps -O2 for execution speed.
UNITY_FLAGS=(-DCMAKE_UNITY_BUILD=ON "-DCMAKE_UNITY_BUILD_BATCH_SIZE=${CONCLAVE_UNITY_BATCH:-16}")

configure_asan() {
  cmake -S "$ROOT" -B "$ASAN_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" "${UNITY_FLAGS[@]}" \
    -DCMAKE_CXX_COMPILER=g++ -DCONCLAVE_SANITIZERS=ON -DCONCLAVE_FUZZ=OFF
}

configure_fuzz() {
  cmake -S "$ROOT" -B "$FUZZ_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" "${UNITY_FLAGS[@]}" \
    -DCMAKE_CXX_COMPILER=clang++ -DCONCLAVE_FUZZ=ON -DCONCLAVE_BENCH=OFF
}

# halt_on_error: UBSan findings fail the test instead of only printing.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Labels of tests that need the throwaway servers of tests/harness/ (a ctest label regex).
SERVER_LABELS='integration|fault|e2e|federation|admin'
FUZZ_TARGETS=conclave_fuzz_targets # every conclave_add_fuzz_target (tests/fuzz/CMakeLists.txt)

main() {
  local t0
  t0=$(date +%s)
  phase "packages" "$ROOT/deploy/local-stack.sh" packages || true

  # Phase 2: ASan + UBSan (GCC). The build keeps going past a failed target (-k 0) and the tests
  # run even after a build failure, so one run reports every test that could be built (a test
  # whose binary is missing fails too).
  if phase "asan: configure" configure_asan; then
    phase "asan: build" cmake --build "$ASAN_DIR" -j "$JOBS" -- -k 0 || true
    # Self-contained tests run two at a time; tests against the shared servers run one at a
    # time (some restart PostgreSQL or an XMPP server, which would break a neighbour).
    phase "asan: ctest (unit, vectors)" \
      ctest --test-dir "$ASAN_DIR" --output-on-failure -j2 -LE "$SERVER_LABELS|fuzz" \
      --timeout 900 --no-tests=error || true
    phase "asan: ctest (with servers)" with_test_servers \
      ctest --test-dir "$ASAN_DIR" --output-on-failure -L "$SERVER_LABELS" --timeout 900 \
      --no-tests=error || true
  fi

  # Phase 3: libFuzzer (clang 14).
  if [[ ${CONCLAVE_SKIP_FUZZ:-0} == 1 ]]; then
    skip "fuzz" "CONCLAVE_SKIP_FUZZ=1"
  elif phase "fuzz: configure" configure_fuzz; then
    # Only the fuzz targets (and the libraries they link): the rest was built and tested above.
    phase "fuzz: build" cmake --build "$FUZZ_DIR" -j "$JOBS" --target $FUZZ_TARGETS -- -k 0 || true
    phase "fuzz: ctest -L fuzz" \
      ctest --test-dir "$FUZZ_DIR" --output-on-failure -j2 -L fuzz --no-tests=error || true
  fi

  summary
  echo "total: $(($(date +%s) - t0))s"
  return $FAILED
}

main "$@"
