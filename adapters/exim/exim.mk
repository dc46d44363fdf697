# adapters/exim/exim.mk - the Exim local_scan shared object,
# $(BUILD)/dkmod_local_scan.so: adapters/exim, adapters/common, lua/ and the
# core, all compiled -fPIC (ALL_CFLAGS), linked -shared with a version script
# that exports local_scan and its two ABI version functions only.  Exim's own
# functions stay undefined: they resolve from the exim binary at load time.
# Needs exim4-dev's local_scan.h: EXIM_INCLUDE, else /usr/include/exim4, else
# the tree tests/e2e/deps.sh unpacks; without it the object is skipped.
EXIM_INCLUDE ?= $(firstword $(patsubst %/local_scan.h,%,$(wildcard /usr/include/exim4/local_scan.h \
	$(or $(DKMOD_E2E_ROOT),/opt/dkmod-e2e)/exim4/usr/include/exim4/local_scan.h)))
EXIM_SO := $(BUILD)/dkmod_local_scan.so
EXIM_SRC := $(sort $(wildcard adapters/exim/*.c))
EXIM_OBJ := $(EXIM_SRC:%.c=$(BUILD)/%.o)
# Exim's local_scan.h declares `void (*fn)()`: only the file that includes it relaxes this.
EXIM_RELAX = -Wno-strict-prototypes
# where `make install-exim` puts the object (doc/adapter-exim.md)
EXIM_LIBDIR ?= $(PREFIX)/lib/dkmod
# the configuration used when no dkmod.conf is beside the object (never from the environment)
EXIM_DKMOD_CONF ?= /etc/dkmod/dkmod.conf
# `make exim-object`: one relocatable object for an upstream Exim built with local_scan
# linked in (doc/adapter-exim.md); only the three local_scan symbols stay global in it
EXIM_RELOC := $(BUILD)/dkmod_local_scan.o
EXIM_KEEP = --keep-global-symbol=local_scan --keep-global-symbol=local_scan_version_major \
	--keep-global-symbol=local_scan_version_minor

.PHONY: exim-skip install-exim exim-object

ifneq ($(wildcard $(EXIM_INCLUDE)/local_scan.h),)
ALL_EXTRA += $(EXIM_SO)
else
ALL_EXTRA += exim-skip
endif

exim-skip:
	@echo "note: skipping $(EXIM_SO): no local_scan.h (exim4-dev) in /usr/include/exim4 or the tree make deps unpacks;" \
		"set EXIM_INCLUDE=DIR to give one"

$(BUILD)/adapters/exim/exim_scan.o: adapters/exim/exim_scan.c adapters/exim/exim.h $(wildcard adapters/common/*.h) $(wildcard lua/*.h) $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(EXIM_RELAX) -I$(EXIM_INCLUDE) -c -o $@ $<

$(BUILD)/adapters/exim/%.o: adapters/exim/%.c adapters/exim/exim.h $(wildcard adapters/common/*.h) $(wildcard lua/*.h) $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ilua -DDKMOD_EXIM_CONFIG='"$(EXIM_DKMOD_CONF)"' -c -o $@ $<

$(EXIM_SO): $(EXIM_OBJ) $(COMMON_OBJ) $(LUA_OBJ) $(CORE_OBJ) adapters/exim/exim.map
	$(CC) -shared -Wl,--version-script=adapters/exim/exim.map -Wl,-z,now -Wl,-z,relro -o $@ \
		$(EXIM_OBJ) $(COMMON_OBJ) $(LUA_OBJ) $(CORE_OBJ) $(LUA_LIBS) -lm $(PKG_LIBS)

install-exim: $(EXIM_SO)
	install -d $(DESTDIR)$(EXIM_LIBDIR)
	install -m 0644 $(EXIM_SO) $(DESTDIR)$(EXIM_LIBDIR)/dkmod_local_scan.so

exim-object: $(EXIM_RELOC)

$(EXIM_RELOC): $(EXIM_OBJ) $(COMMON_OBJ) $(LUA_OBJ) $(CORE_OBJ)
	$(LD) -r -o $@.all $(EXIM_OBJ) $(COMMON_OBJ) $(LUA_OBJ) $(CORE_OBJ)
	objcopy $(EXIM_KEEP) $@.all $@
	@rm -f $@.all
