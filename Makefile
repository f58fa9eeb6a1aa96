# SPDX-License-Identifier: MIT
# The front door. `make` builds a release binary into build/; `make demo`
# builds, creates a demo database with a login per role and serves it
# (DEMO_LISTEN, default 127.0.0.1:8080); `make check` installs what is missing,
# builds with -Werror and runs every test, normally and under ASan+UBSan.

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX ?= /usr/local
DEMO_DB ?= demo.db
DEMO_SCALE ?= small
DEMO_LISTEN ?= 127.0.0.1:8080
CMAKE ?= cmake

FUZZ_SECONDS ?= 300

.PHONY: all release deps demo check check-normal check-asan check-fuzz fuzz checksrc bench \
	bench-queries install clean

all: release

deps:
	@scripts/install-deps

release:
	@$(CMAKE) -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
	@$(CMAKE) --build build -j $(JOBS)

demo: deps release
	./build/salesdesk demo --db $(DEMO_DB) --scale $(DEMO_SCALE) --force --serve \
		--listen $(DEMO_LISTEN)

# The sanitizer run goes last so that its ctest summary closes the output.
check: deps check-fuzz check-normal check-asan

check-normal:
	@$(CMAKE) -S . -B build-check -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSD_WERROR=ON >/dev/null
	@$(CMAKE) --build build-check -j $(JOBS)
	cd build-check && ctest --output-on-failure -j $(JOBS)

check-asan:
	@$(CMAKE) -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSD_WERROR=ON -DSD_SANITIZE=ON >/dev/null
	@$(CMAKE) --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS)

# Every fuzz target for a short fixed time (clang, libFuzzer, ASan+UBSan).
check-fuzz:
	@$(CMAKE) -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DSD_FUZZ=ON -DSD_WERROR=ON \
		-DSD_FUZZ_SECONDS=20 >/dev/null
	@$(CMAKE) --build build-fuzz -j $(JOBS)
	cd build-fuzz && ctest --output-on-failure

# Longer fuzzing that grows the kept corpora in tests/fuzz/corpus/.
fuzz:
	@$(CMAKE) -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DSD_FUZZ=ON >/dev/null
	@$(CMAKE) --build build-fuzz -j $(JOBS)
	for f in build-fuzz/fuzz-*; do \
		tools/run-fuzz $$f tests/fuzz/corpus/$${f#build-fuzz/fuzz-} $(FUZZ_SECONDS) --keep; \
	done

checksrc:
	tools/checksrc .

# Demo build times, imports against sqlite3, PostgreSQL COPY and DuckDB, then the
# query set against DuckDB, SQLite, PostgreSQL and a C loop, then the HTTP API
# under wrk (long: the large demo).
BENCH_SCALE ?= large
bench:
	@scripts/install-deps --bench
	@$(MAKE) --no-print-directory release
	bench/run
	bench/import $(BENCH_SCALE)
	bench/queries $(BENCH_SCALE)
	bench/http --scale $(BENCH_SCALE)

# Only the query benchmark (BENCH_SCALE=medium for a quick one).
bench-queries:
	@scripts/install-deps --bench
	@$(MAKE) --no-print-directory release
	bench/queries $(BENCH_SCALE)

install: release
	$(CMAKE) --install build --prefix $(PREFIX)

clean:
	rm -rf build build-check build-asan build-fuzz
