# steerherd: common tasks. `make figures` works from a clean checkout.
PY ?= python3

.PHONY: check test figures figures-quick bench clean

check:            ## lint and type-check the package
	ruff check steerherd tests sims paper_figures benchmarks theory
	mypy steerherd

test:             ## the test suite (slow and live-API tests are skipped)
	$(PY) -m pytest -q

figures:          ## every paper figure; data computed where missing
	$(PY) -m steerherd figures

figures-quick:    ## small configurations, as in CI
	$(PY) -m steerherd figures --quick

bench:            ## benchmarks against the peers (prints markdown tables)
	$(PY) benchmarks/bench_solve.py

clean:
	rm -rf results figures .pytest_cache .mypy_cache .ruff_cache
