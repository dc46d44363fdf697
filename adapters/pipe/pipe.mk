# adapters/pipe/pipe.mk - dkmod-pipe, the Postfix pipe(8) content filter;
# included by the Makefile (needs adapters/common/common.mk and lua/lua.mk).
PIPE_SRC := $(sort $(wildcard adapters/pipe/*.c))
PIPE_OBJ := $(PIPE_SRC:%.c=$(BUILD)/%.o)
PIPE_LINK_OBJ = $(PIPE_OBJ) $(COMMON_OBJ) $(LUA_OBJ) $(BUILD)/libdkmod.a

# Postfix starts dkmod-pipe once per message, so it is linked statically
# (-static-pie: no dynamic linker, no symbol relocation of libcrypto,
# libunbound, LuaJIT... at every start; position-independent, so still
# randomized).  PIPE_STATIC=auto (the default) does so when every static
# archive is installed (Debian: the -dev packages of `make deps`, libc6-dev's
# libc.a), else links dynamically as the other programs; yes insists; no
# never.  A static build also links $(BUILD)/dkmod-pipe-dynamic from the same
# objects, for the tests that inject faults with LD_PRELOAD.  PIPE_PIE=no
# links it -static instead: about 0.2 ms less per message (no relocation of
# the whole binary at start), but its code at a fixed address.
PIPE_STATIC ?= auto
PIPE_PIE ?= yes
PIPE_STATIC_FLAG := $(if $(filter no,$(PIPE_PIE)),-static,-static-pie)
ifneq ($(PIPE_STATIC),no)
PIPE_STATIC_LIBS := $(filter-out -Wl%,$(shell pkg-config --static --libs libunbound libcrypto libsodium lmdb luajit 2>/dev/null))
PIPE_STATIC_MISSING := $(if $(PIPE_STATIC_LIBS),$(shell for f in $(sort $(patsubst -l%,lib%.a,$(filter -l%,$(PIPE_STATIC_LIBS)))) \
	libm.a libc.a $(if $(filter -static-pie,$(PIPE_STATIC_FLAG)),rcrt1.o); do [ -f "$$($(CC) -print-file-name=$$f)" ] || printf '%s ' $$f; done),pkg-config --static)
ifeq ($(strip $(PIPE_STATIC_MISSING)),)
PIPE_LINK := static
else ifeq ($(PIPE_STATIC),yes)
$(error PIPE_STATIC=yes, but the static link of dkmod-pipe lacks: $(PIPE_STATIC_MISSING))
endif
endif

ALL_EXTRA += $(BUILD)/dkmod-pipe $(if $(PIPE_LINK),$(BUILD)/dkmod-pipe-dynamic)

$(BUILD)/adapters/pipe/%.o: adapters/pipe/%.c $(wildcard adapters/pipe/*.h) $(wildcard adapters/common/*.h) $(wildcard lua/*.h) $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

ifeq ($(PIPE_LINK),static)
# glibc warns that getaddrinfo, getpwnam... of libunbound would need its NSS
# modules at run time (the filter never calls them): those lines are dropped
$(BUILD)/dkmod-pipe: $(PIPE_LINK_OBJ) adapters/pipe/pipe.mk
	$(CC) $(PIPE_STATIC_FLAG) -o $@ $(PIPE_LINK_OBJ) $(PIPE_STATIC_LIBS) -lm 2>$@.ld || { cat $@.ld >&2; rm -f $@.ld; exit 1; }
	@grep -v -e 'in statically linked applications requires at runtime' -e ': in function `' $@.ld >&2; rm -f $@.ld

$(BUILD)/dkmod-pipe-dynamic: $(PIPE_LINK_OBJ)
	$(CC) -o $@ $(PIPE_LINK_OBJ) $(LUA_LIBS) -lm $(PKG_LIBS)
else
$(BUILD)/dkmod-pipe: $(PIPE_LINK_OBJ) adapters/pipe/pipe.mk
	@echo "dkmod-pipe: linked dynamically ($(if $(filter no,$(PIPE_STATIC)),PIPE_STATIC=no,missing: $(PIPE_STATIC_MISSING)))"
	@rm -f $(BUILD)/dkmod-pipe-dynamic
	$(CC) -o $@ $(PIPE_LINK_OBJ) $(LUA_LIBS) -lm $(PKG_LIBS)
endif
