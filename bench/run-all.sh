#!/usr/bin/env bash
# Runs every end-to-end benchmark in bench/ (each bench/*.sh but this one) with its defaults, one
# after the other, and prints each one's verdict at the end. Settings go in the environment, which
# every benchmark reads (e.g. RUNS=3 for form-post.sh); arguments are passed to every benchmark, so
# give only ones they all accept. The figures and the targets are described in docs/benchmarks.md.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
declare -a names=() verdicts=()
for b in "$HERE"/*.sh; do
  [ "$(basename "$b")" = run-all.sh ] && continue
  echo "################ $(basename "$b") $*"
  bash "$b" "$@"
  rc=$?
  case $rc in
    0) v=PASS ;;
    1) v=FAIL ;;
    *) v="ERROR (exit $rc)" ;;
  esac
  names+=("$(basename "$b")"); verdicts+=("$v")
done
echo
echo "################ summary"
status=0
for i in "${!names[@]}"; do
  printf '%-28s %s\n' "${names[$i]}" "${verdicts[$i]}"
  [ "${verdicts[$i]}" = PASS ] || status=1
done
exit "$status"
