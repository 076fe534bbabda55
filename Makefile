# Developer entry points. `make help` lists them.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Written after a successful install, so the install reruns only when its inputs change.
INSTALLED := $(VENV)/.installed
# The benchmark's extra tools (psutil, matplotlib), installed on first use.
BENCH_INSTALLED := $(VENV)/.bench-installed
# pyspark and dbt-spark (about 320 MB), for the Spark lane and IMPRAISE_DESTINATION=spark.
SPARK_INSTALLED := $(VENV)/.spark-installed
# Everything `make demo` makes, apart from any real organisation's: its warehouse, its
# pipeline state and its report. `make clean` removes it.
DEMO_DIR := $(CURDIR)/demo

.DEFAULT_GOAL := help
.PHONY: help venv install install-spark demo report test unit lint bench bench-spark lock clean

help: ## List the targets
	@grep -E '^[a-z -]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-13s %s\n", $$1, $$2}'

venv install: $(INSTALLED) ## Create .venv and install the project with its dev tools

$(INSTALLED): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
		echo "error: Python 3.11+ is required, but $(PYTHON) is $$($(PYTHON) --version 2>&1)." \
		     "Run e.g. 'make PYTHON=python3.11 install'." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -e '.[dev]' -c constraints.txt
	touch $@

install-spark: $(SPARK_INSTALLED) ## Add Apache Spark (pyspark, dbt-spark; Java 17 from your OS) for the Spark lane and target

$(SPARK_INSTALLED): $(INSTALLED)
	@command -v java >/dev/null || echo "note: no java on PATH; Spark needs Java 17" \
		"(Debian: apt-get install openjdk-17-jre-headless)" >&2
	$(BIN)/pip install -e '.[dev,spark]' -c constraints.txt
	touch $@

# The demo never touches a real organisation's warehouse (impraise.duckdb, or wherever
# IMPRAISE_DUCKDB_PATH or IMPRAISE_DESTINATION point) or its pipeline state: the load,
# dbt and the report all use demo/, whatever the environment says.
demo: export IMPRAISE_DESTINATION := duckdb
demo: export IMPRAISE_DUCKDB_PATH := $(DEMO_DIR)/demo.duckdb
demo: export DLT_DATA_DIR := $(DEMO_DIR)/dlt
demo: export DBT_PROJECT_DIR := dbt_project
demo: export DBT_PROFILES_DIR := profiles
demo: $(INSTALLED) ## Load the bundled simulator into demo/demo.duckdb, build the marts, docs and report, print a summary
	$(BIN)/python pipelines/impraise.py --demo
	$(BIN)/dbt build
	$(BIN)/dbt docs generate
	$(BIN)/python scripts/demo_summary.py
	$(BIN)/python -m impraise_report --output $(DEMO_DIR)/engagement.html

# The report reads the warehouse `dbt build` built (same environment) through the metrics.
report: export DBT_PROJECT_DIR := dbt_project
report: export DBT_PROFILES_DIR := profiles
report: $(INSTALLED) ## Write reports/engagement.html from the warehouse's metrics (after a load and `dbt build`)
	$(BIN)/python -m impraise_report

test: $(INSTALLED) ## Run the whole test suite
	$(BIN)/pytest

unit: $(INSTALLED) ## Run the fast tier: in-process tests, no subprocess or server (~15 s)
	$(BIN)/pytest tests/unit -n 0 -q

lint: $(INSTALLED) ## Check Python (ruff) and SQL (sqlfluff) style
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@# sqlfluff's dbt templater renders with the DuckDB target, in memory: no server, no file.
	IMPRAISE_DESTINATION=duckdb IMPRAISE_DUCKDB_PATH=:memory: $(BIN)/sqlfluff lint dbt_project

$(BENCH_INSTALLED): $(INSTALLED)
	$(BIN)/pip install -e '.[dev,bench]' -c constraints.txt
	touch $@

bench: $(BENCH_INSTALLED) ## Benchmark against the rate-limit bound and peers (~40 min; ARGS=--quick: ~2 min)
	$(BIN)/python benchmarks/run.py $(ARGS)

bench-spark: $(BENCH_INSTALLED) $(SPARK_INSTALLED) ## dbt build on Spark: in-process session vs a local standalone cluster (master + 2 workers)
	$(BIN)/python benchmarks/spark_cluster.py $(ARGS)

lock: ## Rewrite constraints.txt from the packages installed in .venv
	{ echo "# Pinned versions of every dependency, used as 'pip install -c constraints.txt'."; \
	  echo "# Regenerate with 'make lock' after changing dependencies in pyproject.toml."; \
	  $(BIN)/pip freeze --exclude-editable; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	@# .venv is exactly what the new lock describes: no reinstall needed.
	touch $(INSTALLED)

# Never impraise.duckdb or reports/: they may hold a real organisation's history, which
# the API cannot give back.
clean: ## Remove what `make demo` made (demo/), the venv, dbt's target/ and logs/, and caches
	rm -rf $(DEMO_DIR) $(VENV) dbt_project/target dbt_project/logs logs .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
