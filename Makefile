# dkmod - build, test, install.  `make help` lists the targets.
.DEFAULT_GOAL := all
PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= .build
CC ?= cc
VERSION = 0.1.0

PKGS = libcrypto libunbound lmdb
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lcrypto -lunbound -llmdb)

WARN = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -fPIC $(WARN) $(CFLAGS) $(PKG_CFLAGS) -Icore
SAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

CORE_SRC := $(sort $(wildcard core/*.c))
CLI_SRC := $(sort $(wildcard adapters/cli/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))

CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/unit/%)
SAN_CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/san/%.o)
SAN_UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/san/unit/%)

# Parts of the build that live beside their sources (lua/, adapters, fuzz, bench)
# add to these: objects linked into the dkmod command, libraries, targets of `all`.
CLI_EXTRA_OBJ =
CLI_EXTRA_LIBS =
ALL_EXTRA =
include $(sort $(wildcard lua/*.mk adapters/*/*.mk tests/*/*.mk))

DEPS_DEBIAN = build-essential pkg-config libssl-dev libunbound-dev liblmdb-dev libluajit2-5.1-dev \
	libevent-dev nettle-dev libgmp-dev libmail-dkim-perl python3-dkim nsd swaks openssl clang

.PHONY: all demo demo-keys test check unit san-unit deps install clean help

all: $(BUILD)/libdkmod.a $(BUILD)/libdkmod.so $(BUILD)/dkmod $(ALL_EXTRA)

help:
	@echo "make deps     install the Debian packages the build and the tests need"
	@echo "make          build the library and the dkmod command"
	@echo "make demo     sign and verify the sample message against the demo zone"
	@echo "make test     build and run the whole test suite (also: make check)"
	@echo "make install  install into \$$DESTDIR\$$PREFIX"

$(BUILD)/%.o: %.c $(wildcard core/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/san/%.o: %.c $(wildcard core/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -c -o $@ $<

$(BUILD)/libdkmod.a: $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libdkmod.so: $(CORE_OBJ) core/libdkmod.map
	$(CC) -shared -Wl,-soname,libdkmod.so.0 -Wl,--version-script=core/libdkmod.map -o $@ $(CORE_OBJ) $(PKG_LIBS)

$(BUILD)/dkmod: $(CLI_OBJ) $(CLI_EXTRA_OBJ) $(BUILD)/libdkmod.a
	$(CC) -o $@ $(CLI_OBJ) $(CLI_EXTRA_OBJ) $(BUILD)/libdkmod.a $(CLI_EXTRA_LIBS) $(PKG_LIBS)

$(BUILD)/unit/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(BUILD)/libdkmod.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libdkmod.a $(PKG_LIBS)

$(BUILD)/san/libdkmod.a: $(SAN_CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/san/unit/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(BUILD)/san/libdkmod.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -Itests/unit -o $@ $< $(BUILD)/san/libdkmod.a $(PKG_LIBS)

unit: $(UNIT_BIN)
san-unit: $(SAN_UNIT_BIN)

deps:
	@missing=""; for p in $(DEPS_DEBIAN); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
	@bash tests/e2e/deps.sh

# git keeps no file modes but the executable bit: the demo keys get theirs back here,
# since the engine refuses private keys that other users can read
demo-keys:
	@chmod 600 conf/demo.key conf/demo-ed25519.key

demo: deps all demo-keys
	@sh conf/demo.sh $(BUILD)/dkmod

test check: deps all unit san-unit demo-keys
	@BUILD=$(BUILD) bash tests/run

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 0755 $(BUILD)/dkmod $(DESTDIR)$(PREFIX)/bin/dkmod
	install -m 0644 $(BUILD)/libdkmod.a $(DESTDIR)$(PREFIX)/lib/libdkmod.a
	install -m 0755 $(BUILD)/libdkmod.so $(DESTDIR)$(PREFIX)/lib/libdkmod.so.$(VERSION)
	ln -sf libdkmod.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libdkmod.so.0
	ln -sf libdkmod.so.0 $(DESTDIR)$(PREFIX)/lib/libdkmod.so
	install -m 0644 core/dkmod.h $(DESTDIR)$(PREFIX)/include/dkmod.h
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' core/dkmod.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/dkmod.pc
	install -d $(DESTDIR)$(PREFIX)/share/dkmod/lua/examples $(DESTDIR)$(PREFIX)/share/man/man5 \
		$(DESTDIR)$(PREFIX)/share/man/man7 $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/lib/dkmod
	install -m 0644 lua/*.lua $(DESTDIR)$(PREFIX)/share/dkmod/lua/
	install -m 0644 lua/examples/*.lua $(DESTDIR)$(PREFIX)/share/dkmod/lua/examples/
	install -m 0644 doc/dkmod.8 $(DESTDIR)$(PREFIX)/share/man/man8/dkmod.8
	install -m 0644 doc/dkmod.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/dkmod.conf.5
	install -m 0644 doc/dkmod-lua.7 $(DESTDIR)$(PREFIX)/share/man/man7/dkmod-lua.7
	for f in dkmod-pipe dkmod-stdio; do [ ! -x $(BUILD)/$$f ] || install -m 0755 $(BUILD)/$$f $(DESTDIR)$(PREFIX)/bin/$$f; done
	[ ! -f $(BUILD)/dkmod_local_scan.so ] || install -m 0644 $(BUILD)/dkmod_local_scan.so $(DESTDIR)$(PREFIX)/lib/dkmod/
	[ ! -f adapters/stdio/dkmod ] || install -m 0644 adapters/stdio/dkmod $(DESTDIR)$(PREFIX)/share/dkmod/qpsmtpd-plugin-dkmod

clean:
	rm -rf $(BUILD)
