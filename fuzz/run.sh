#!/usr/bin/env bash
# Runs one fuzz target with its seeds and dictionary: `fuzz/run.sh TARGET [SECONDS]` (default
# 600). The corpus grows in fuzz/corpus/TARGET (not in git); a crash is saved in
# fuzz/artifacts/TARGET/ and stops the run. libFuzzer's final stats (executions, time) end the
# output. Extra arguments after SECONDS go to libFuzzer.
set -euo pipefail
cd "$(dirname "$0")"
target=${1:?usage: fuzz/run.sh TARGET [SECONDS] [libFuzzer flags…]}
seconds=${2:-600}
shift $(( $# < 2 ? $# : 2 ))
flags=()
case $target in
  spec_load)      seeds=(seeds/spec_load ../specs); flags=(-dict=dicts/spec.dict -max_len=16384) ;;
  template)       seeds=() ; flags=(-dict=dicts/template.dict) ;;
  jsonpath)       seeds=(seeds/jsonpath); flags=(-dict=dicts/jsonpath.dict) ;;
  stripe_form)    seeds=(seeds/stripe_form); flags=(-dict=dicts/form.dict) ;;
  postman_import) seeds=(seeds/postman_import ../tests/data/postman) ;;
  *) echo "unknown target $target" >&2; exit 2 ;;
esac
mkdir -p "corpus/$target"
# cargo-fuzz passes nightly-only flags (-Zsanitizer); RUSTC_BOOTSTRAP lets stable rustc take them.
RUSTC_BOOTSTRAP=1 exec cargo fuzz run "$target" "corpus/$target" "${seeds[@]}" -- \
  -max_total_time="$seconds" -timeout=10 -print_final_stats=1 "${flags[@]}" "$@"
