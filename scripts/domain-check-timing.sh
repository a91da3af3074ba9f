#!/usr/bin/env bash
# Times the whole `check --domain` run against local servers: the DNS fixture of
# tests/domain_check.rs (hickory-server on loopback, example.test signed with DNSSEC), its
# HTTPS server for the MTA-STS policy, and the interop Postfix of scripts/mailserver.sh as the
# MX (without it the run is DNS + HTTPS only, --no-smtp). Not a test: it prints figures.
#
#   scripts/mailserver.sh start && eval "$(scripts/mailserver.sh env)"   # optional, for SMTP
#   scripts/domain-check-timing.sh [RUNS]      # default 20 runs; prints the last run's output
#
# Each run is the example process from start to exit (process start, DNS with every query in
# flight, the policy fetch over HTTPS, STARTTLS to Postfix, DANE matching, the report).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}

cargo build --all-features --example check --quiet
test_binary=$(cargo test --all-features --test domain_check --no-run 2>&1 |
    sed -n 's/.*(\(target\/[^)]*domain_check-[0-9a-f]*\)).*/\1/p' | tail -n 1)
[[ -x $test_binary ]] || { echo "no domain_check test binary" >&2; exit 1; }

log=$(mktemp)
SMTP_SANSIO_SERVE_SECS=600 "$test_binary" --ignored --exact serve_the_sound_domain --nocapture \
    >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do
    grep -q '^COMMAND: ' "$log" && break
    sleep 0.1
done
read -r -a args < <(sed -n 's/^COMMAND: //p' "$log")
[[ ${#args[@]} -gt 0 ]] || { cat "$log" >&2; exit 1; }
if [[ -z ${SMTP_SANSIO_MAILSERVER:-} ]]; then
    echo "NOTICE: no interop mail server (SMTP_SANSIO_MAILSERVER unset): DNS and HTTPS only" >&2
    args+=(--no-smtp)
fi

times=()
for _ in $(seq "$runs"); do
    start=$(date +%s%N)
    status=0
    target/debug/examples/check "${args[@]}" >/tmp/domain-check-timing.out 2>&1 || status=$?
    end=$(date +%s%N)
    times+=($(((end - start) / 1000)))
done
cat /tmp/domain-check-timing.out
echo "exit code of the last run: $status"
printf '%s\n' "${times[@]}" | sort -n | awk -v runs="$runs" '
    { t[NR] = $1 }
    END {
        printf "check --domain, %d runs (debug build, wall time per process): min %.1f ms, median %.1f ms, max %.1f ms\n",
            runs, t[1] / 1000, t[int((NR + 1) / 2)] / 1000, t[NR] / 1000
    }'
