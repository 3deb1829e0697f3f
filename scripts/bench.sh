#!/usr/bin/env bash
# Runs lambdaguard's benchmarks and writes docs/BENCHMARKS.md: the
# comparative ones of the bench/ module (bare aws-lambda-go, the guard,
# tracing against otellambda, debug mode), those beside the code, start-up
# (GODEBUG=inittrace=1) and binary sizes, and system calls per invocation
# (strace -c). About 5 minutes on 2 cores with the defaults.
#
#	scripts/bench.sh                  # COUNT=10 runs of each benchmark
#	COUNT=16 BENCHTIME=1s scripts/bench.sh
#	OUT=/tmp/b.md scripts/bench.sh    # elsewhere than docs/BENCHMARKS.md
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

COUNT=${COUNT:-10}
BENCHTIME=${BENCHTIME:-300ms}
OUT=${OUT:-$root/docs/BENCHMARKS.md}
STARTS=${STARTS:-21}
# golang.org/x/perf has no tagged versions: a pinned pseudo-version.
BENCHSTAT_VERSION=v0.0.0-20260908200009-22c9c6c9d4da

export GOFLAGS="${GOFLAGS:-} -buildvcs=false"
export CGO_ENABLED=0
unset LAMBDAGUARD_DEBUG AWS_LAMBDA_RUNTIME_API AWS_LAMBDA_MAX_CONCURRENCY

work=$(mktemp -d "${TMPDIR:-/tmp}/lambdaguard-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
step() { echo "== $*" >&2; }

step "benchstat $BENCHSTAT_VERSION"
GOBIN="$work/bin" go install "golang.org/x/perf/cmd/benchstat@$BENCHSTAT_VERSION"
benchstat="$work/bin/benchstat"

step "machine"
{
	echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "nproc=$(nproc)"
	echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	echo "kernel=$(uname -sr)"
	echo "go=$(go version | cut -d' ' -f3-)"
	echo "load=$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "count=$COUNT"
	echo "benchtime=$BENCHTIME"
} >"$work/machine.txt"
cat "$work/machine.txt" >&2

# One go test invocation for all the comparative benchmarks, so that their
# ratios hold on a noisy machine. -mod=mod lets bench/go.sum catch up with
# a root go.mod that gained a dependency since bench/ was last tidied.
# In rounds, one run of every benchmark each, every other round in reverse
# order: -count would run each variant COUNT times in a row, and the ratio
# of two variants would carry the drift of the machine between them.
step "bench/: BenchmarkInvoke, BenchmarkGuardPaired, BenchmarkDebug, BenchmarkBatch ($COUNT rounds)"
(cd bench && go test -mod=mod -c -o "$work/bench.test" .)
: >"$work/invoke.txt"
for round in $(seq "$COUNT"); do
	order=forward
	if [ $((round % 2)) -eq 0 ]; then order=reverse; fi
	(cd bench && LAMBDAGUARD_BENCH_ORDER=$order "$work/bench.test" -test.run '^$' -test.bench 'BenchmarkInvoke|BenchmarkGuardPaired|BenchmarkDebug|BenchmarkBatch' \
		-test.benchmem -test.count 1 -test.benchtime "$BENCHTIME" -test.timeout 30m) | tee -a "$work/invoke.txt" | grep -E '^Benchmark' >&2
done

step "beside the code: guard, tracing, internal/snapshot (count $COUNT)"
go test -run '^$' -bench '.' -benchmem -count "$COUNT" -benchtime "$BENCHTIME" -timeout 30m \
	./guard ./tracing ./internal/snapshot | tee "$work/unit.txt" | grep -E '^Benchmark' >&2

"$benchstat" -filter '.name:Invoke' -col /handler "$work/invoke.txt" >"$work/invoke-vs-bare.txt" 2>&1 || true
"$benchstat" -filter '/handler:(otellambda OR otellambda-parent OR otellambda-wrap OR guard-tracing)' \
	-col '/handler@(otellambda otellambda-parent otellambda-wrap guard-tracing)' "$work/invoke.txt" >"$work/invoke-vs-otellambda.txt" 2>&1 || true
"$benchstat" -filter '/handler:(otellambda-sp OR otellambda-parent-sp OR otellambda-wrap-sp OR guard-tracing-sp)' \
	-col '/handler@(otellambda-sp otellambda-parent-sp otellambda-wrap-sp guard-tracing-sp)' "$work/invoke.txt" >"$work/invoke-vs-otellambda-sp.txt" 2>&1 || true
"$benchstat" "$work/unit.txt" >"$work/unit-stat.txt" 2>&1 || true

step "lambdaguard vet ./... on this repository (BenchmarkVetRepository)"
go test -run '^$' -bench 'BenchmarkVetRepository' -benchmem -count 3 -benchtime 1x -timeout 10m ./cmd/lambdaguard | tee "$work/vet.txt" | grep -E '^Benchmark' >&2

step "start-up and binary sizes"
bin="$work/binaries"
mkdir -p "$bin"
# As AWS recommends for provided.al2023: -tags lambda.norpc (and stripped for the sizes).
(cd examples && go build -trimpath -tags lambda.norpc -o "$bin/basic" ./basic && go build -trimpath -tags lambda.norpc -ldflags='-s -w' -o "$bin/basic.stripped" ./basic)
(cd bench && go build -mod=mod -trimpath -tags lambda.norpc -o "$bin/bare" ./bare && go build -mod=mod -trimpath -tags lambda.norpc -ldflags='-s -w' -o "$bin/bare.stripped" ./bare)
(cd bench && go build -mod=mod -trimpath -tags lambda.norpc -o "$bin/traced" ./traced && go build -mod=mod -trimpath -tags lambda.norpc -ldflags='-s -w' -o "$bin/traced.stripped" ./traced)

# inittrace lines: "init PKG @T ms, C ms clock, B bytes, A allocs". Sums per
# start of the lambdaguard packages, of packages outside the standard library
# (a dot in the first path element) and of all; then the median of the starts.
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "–"; exit} m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f\n", m}'; }
{
	echo "runs=$STARTS"
	echo "goarch=$(go env GOARCH)"
	for b in bare basic traced; do
		: >"$work/init-$b.txt"
		for _ in $(seq "$STARTS"); do
			GODEBUG=inittrace=1 timeout 10 "$bin/$b" 2>&1 >/dev/null | awk '
				$1 == "init" {
					pkg = $2; clock = $5; allocs = $10
					all += clock; n += allocs
					split(pkg, parts, "/")
					if (index(parts[1], ".") > 0) nonstd += clock
					if (index(pkg, "github.com/lambdaguard/lambdaguard") == 1) lg += clock
				}
				END { printf "%.4f %.4f %.4f %d\n", lg, nonstd, all, n }' >>"$work/init-$b.txt" || true
		done
		echo "${b}_lambdaguard_init_ms=$(awk '{print $1}' "$work/init-$b.txt" | median)"
		echo "${b}_nonstd_init_ms=$(awk '{print $2}' "$work/init-$b.txt" | median)"
		echo "${b}_all_init_ms=$(awk '{print $3}' "$work/init-$b.txt" | median)"
		echo "${b}_init_allocs=$(awk '{print $4}' "$work/init-$b.txt" | median | cut -d. -f1)"
		echo "${b}_size=$(stat -c %s "$bin/$b")"
		echo "${b}_size_stripped=$(stat -c %s "$bin/$b.stripped")"
	done
	echo "basic_otel_deps=$(cd examples && go list -deps ./basic | grep -c opentelemetry || true)"
} >"$work/startup.txt"
cat "$work/startup.txt" >&2

step "system calls per invocation (strace -c)"
if command -v strace >/dev/null; then
	(cd bench && go build -mod=mod -o "$bin/syscount" ./syscount)
	base="$work/syscount-base"
	mkdir -p "$base"
	n1=1000 n2=5000
	# Per variant: the calls of n2 invocations less those of n1, over n2-n1.
	# strace -c rows: "% time seconds usecs/call calls [errors] syscall".
	count() {
		GOGC=off GOMAXPROCS=1 strace -f -c -o "$work/strace.txt" \
			"$bin/syscount" -handler "$1" -n "$2" -base "$base" -event bench/testdata/apigw-v2.json >/dev/null
		awk '/^-+ /{d++; next} d==1 && NF>=5 {print $NF, $4}' "$work/strace.txt"
	}
	files='^(openat|open|mkdirat|mkdir|unlinkat|unlink|rmdir|getdents64|newfstatat|fstat|statx|lstat|stat|close|read|write|pwrite64|fcntl|fchmod|fchmodat|fchownat|renameat|renameat2|lseek|flock|ftruncate|fsync)$'
	{
		echo "n1=$n1"
		echo "n2=$n2"
		for v in bare guard bare-tempdir guard-tempdir; do
			count "$v" "$n1" >"$work/sc-$v-1.txt"
			count "$v" "$n2" >"$work/sc-$v-2.txt"
			awk -v n="$((n2 - n1))" -v files="$files" '
				FNR == NR { a[$1] = $2; next }
				{ b[$1] = $2 }
				END {
					for (k in b) { d = (b[k] - a[k]) / n; total += d; if (k ~ files && d > 0.005) f = f sprintf("%s%s %.2f", (f == "" ? "" : ", "), k, d) }
					for (k in a) if (!(k in b)) total -= a[k] / n
					printf "%.3f|%s\n", total, (f == "" ? "none" : f)
				}' "$work/sc-$v-1.txt" "$work/sc-$v-2.txt" >"$work/sc-$v.txt"
			echo "${v}_total=$(cut -d'|' -f1 "$work/sc-$v.txt")"
			echo "${v}_files=$(cut -d'|' -f2 "$work/sc-$v.txt")"
		done
		echo "extra_per_invocation=$(awk -F'|' 'FNR==1 && NR==1 {b=$1} NR==2 {printf "%.3f\n", $1-b}' "$work/sc-bare.txt" "$work/sc-guard.txt")"
	} >"$work/syscalls.txt"
	cat "$work/syscalls.txt" >&2
else
	echo "strace not found: apt-get install -y strace to measure system calls" >&2
fi

step "writing $OUT"
mkdir -p "$(dirname "$OUT")"
(cd bench && go run -mod=mod ./report -in "$work" -out "$OUT")
echo "wrote $OUT" >&2
