# KazRockets — `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin

.PHONY: help install services migrate run lint format test bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[1m%-10s\033[0m %s\n", $$1, $$2}'

$(BIN)/pip:
	@rm -rf $(VENV)
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv python3-pip >/dev/null && \
	  $(PYTHON) -m venv $(VENV); }

$(VENV)/.installed: pyproject.toml $(BIN)/pip
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

install: $(VENV)/.installed ## Create the virtualenv and install the project with its dev tools

services: install ## Start PostgreSQL, Redis, RabbitMQ, the S3 emulator and a debugging SMTP server (installs what is missing)
	@bash scripts/services.sh

migrate: services ## Create or upgrade the database schema
	$(BIN)/kazrockets migrate

run: services ## Bring the whole platform up locally (Ctrl-C stops it)
	$(BIN)/kazrockets run

lint: install ## ruff (lint and format check) and mypy strict
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: services lint ## Install, start services, lint, type check and run every test
	$(BIN)/pytest

bench: services ## Run the benchmarks in bench/ and print ratios against their baselines (installs wrk)
	@bash scripts/wrk.sh
	$(BIN)/python -m bench.run

clean: ## Remove the virtualenv and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
