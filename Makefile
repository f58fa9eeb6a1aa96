# SPDX-License-Identifier: MIT
# The front door. `make` builds a release binary into build/; `make demo`
# builds and creates a demo database; `make check` installs what is missing,
# builds with -Werror and runs every test, normally and under ASan+UBSan.

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX ?= /usr/local
DEMO_DB ?= demo.db
DEMO_SCALE ?= small
CMAKE ?= cmake

.PHONY: all release deps demo check check-normal check-asan checksrc bench install clean

all: release

deps:
	@scripts/install-deps

release:
	@$(CMAKE) -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
	@$(CMAKE) --build build -j $(JOBS)

demo: deps release
	./build/salesdesk demo --db $(DEMO_DB) --scale $(DEMO_SCALE) --force

check: deps check-normal check-asan
	@echo "make check: all passed (normal and ASan+UBSan builds)"

check-normal:
	@$(CMAKE) -S . -B build-check -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSD_WERROR=ON >/dev/null
	@$(CMAKE) --build build-check -j $(JOBS)
	cd build-check && ctest --output-on-failure -j $(JOBS)

check-asan:
	@$(CMAKE) -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSD_WERROR=ON -DSD_SANITIZE=ON >/dev/null
	@$(CMAKE) --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS)

checksrc:
	tools/checksrc .

bench: deps release
	bench/run

install: release
	$(CMAKE) --install build --prefix $(PREFIX)

clean:
	rm -rf build build-check build-asan
