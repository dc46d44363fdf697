# tests/fuzz/fuzz.mk - libFuzzer targets, included by the Makefile.
#   make fuzz-build             build every target and its seed corpus
#   make fuzz [FUZZ_SECONDS=N] [FUZZ_TARGETS="a b"]
#                               build, then run each target N seconds (default 60)
#                               over its seeds, regressions and kept corpus, and
#                               merge what found new coverage back into the kept,
#                               minimized corpus tests/fuzz/corpus/<target>/
# Targets are tests/fuzz/fuzz_<name>.c, linked against the core sources built
# with the same sanitizers; fuzz_verify, fuzz_removal, fuzz_dmarc and fuzz_arparse (for ar.c) link
# tests/fuzz/dns_fuzz.c instead of core/dns/dns_unbound*.c.  Everything else goes to $(BUILD)/fuzz/ (scratch corpus/, crashes/).
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR = $(BUILD)/fuzz
FUZZ_TARGETS = header tagvalue records canon verify zonefile config hashpair stdio_proto milter_proto removal spfrec dmarcrec dmarc arparse rptxml
FUZZ_BINS = $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)
FUZZ_SAN = -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CORE_CFLAGS = $(filter-out -Werror,$(ALL_CFLAGS)) $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_CFLAGS = $(ALL_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -Itests/fuzz
FUZZ_LIBS = $(PKG_LIBS) $(shell pkg-config --libs lmdb 2>/dev/null)
FUZZ_CORE_OBJ = $(patsubst core/%.c,$(FUZZ_DIR)/core/%.o,$(filter-out core/dns/dns_unbound.c core/dns/dns_unbound_setup.c,$(CORE_SRC)))
FUZZ_INTEROP = $(wildcard ../shared/interop/mail-dkim)
FUZZ_MESSAGES = conf/sample.eml $(wildcard tests/*/*.eml tests/*/*/*.eml)
FUZZ_ZONES = conf/demo.zone $(wildcard tests/*/*.zone)
FUZZ_DKMOD = $(wildcard $(BUILD)/dkmod)

.PHONY: fuzz fuzz-build

fuzz-build: $(FUZZ_BINS) $(FUZZ_DIR)/seeds.stamp

fuzz: fuzz-build
	@rc=0; for t in $(FUZZ_TARGETS); do \
		FUZZ_DIR=$(FUZZ_DIR) FUZZ_MERGE=1 sh tests/fuzz/fuzz_run.sh $$t $(FUZZ_SECONDS) || rc=1; \
	done; exit $$rc

$(FUZZ_DIR)/core/%.o: core/%.c $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CORE_CFLAGS) -c -o $@ $<

$(FUZZ_DIR)/libcore.a: $(FUZZ_CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_DIR)/%.o: tests/fuzz/%.c tests/fuzz/dns_fuzz.h tests/fuzz/fuzz.h $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_DIR)/fuzz_verify: $(FUZZ_DIR)/dns_fuzz.o
$(FUZZ_DIR)/fuzz_removal: $(FUZZ_DIR)/dns_fuzz.o
$(FUZZ_DIR)/fuzz_dmarc: $(FUZZ_DIR)/dns_fuzz.o
$(FUZZ_DIR)/fuzz_arparse: $(FUZZ_DIR)/dns_fuzz.o

# the dkmod-stdio request parser (adapters/stdio/stdio_proto.c), built with the same sanitizers
$(FUZZ_DIR)/stdio_proto.o: adapters/stdio/stdio_proto.c adapters/stdio/stdio_proto.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CORE_CFLAGS) -c -o $@ $<
$(FUZZ_DIR)/fuzz_stdio_proto.o: FUZZ_CFLAGS += -Iadapters/stdio
$(FUZZ_DIR)/fuzz_stdio_proto: $(FUZZ_DIR)/stdio_proto.o
# dkmod-milter's wire format (adapters/milter/milter_proto.c), likewise
$(FUZZ_DIR)/milter_proto.o: adapters/milter/milter_proto.c adapters/milter/milter_proto.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CORE_CFLAGS) -c -o $@ $<
$(FUZZ_DIR)/fuzz_milter_proto.o: FUZZ_CFLAGS += -Iadapters/milter
$(FUZZ_DIR)/fuzz_milter_proto: $(FUZZ_DIR)/milter_proto.o

# the configuration loader: lua/ built with the same sanitizers, linked with LuaJIT
FUZZ_LUA_OBJ = $(patsubst lua/%.c,$(FUZZ_DIR)/lua/%.o,$(filter lua/conf%.c lua/budget.c,$(sort $(wildcard lua/*.c))))
$(FUZZ_DIR)/lua/%.o: lua/%.c $(wildcard lua/*.h) $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CORE_CFLAGS) $(LUA_CFLAGS) -c -o $@ $<
$(FUZZ_DIR)/fuzz_config.o: tests/fuzz/fuzz_config.c tests/fuzz/fuzz.h $(wildcard lua/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Ilua $(LUA_CFLAGS) -c -o $@ $<
$(FUZZ_DIR)/fuzz_config: $(FUZZ_DIR)/fuzz_config.o $(FUZZ_DIR)/dns_fuzz.o $(FUZZ_LUA_OBJ) $(FUZZ_DIR)/libcore.a
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $(filter %.o,$^) $(FUZZ_DIR)/libcore.a $(LUA_LIBS) -lm $(FUZZ_LIBS)

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/fuzz_%.o $(FUZZ_DIR)/libcore.a
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $(filter %.o,$^) $(FUZZ_DIR)/libcore.a $(FUZZ_LIBS)

$(FUZZ_DIR)/seeds.stamp: tests/fuzz/fuzz_seeds.py $(FUZZ_MESSAGES) $(FUZZ_ZONES) $(FUZZ_DKMOD)
	@rm -rf $(FUZZ_DIR)/seeds
	python3 tests/fuzz/fuzz_seeds.py $(FUZZ_DIR)/seeds $(if $(FUZZ_INTEROP),--interop $(FUZZ_INTEROP)) \
		$(if $(FUZZ_DKMOD),--dkmod $(FUZZ_DKMOD)) $(FUZZ_MESSAGES) --zone $(FUZZ_ZONES)
	@touch $@

# keep the target objects: they are intermediate files of a chain of pattern rules
.SECONDARY: $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%.o) $(FUZZ_DIR)/dns_fuzz.o $(FUZZ_DIR)/stdio_proto.o $(FUZZ_DIR)/milter_proto.o $(FUZZ_LUA_OBJ)
