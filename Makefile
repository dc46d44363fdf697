# dkmod - build, test, install.  `make help` lists the targets.
.DEFAULT_GOAL := all
PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
DESTDIR ?=
BUILD ?= .build
CC ?= cc
VERSION = 0.1.0

PKGS = libcrypto libsodium libunbound lmdb
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lcrypto -lsodium -lunbound -llmdb)

WARN = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -fPIC $(WARN) $(CFLAGS) $(PKG_CFLAGS) -Icore
SAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

CORE_SRC := $(sort $(wildcard core/*/*.c))
CORE_HDR := $(wildcard core/*.h core/*/*.h)
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
CLI_EXTRA_LIBS = -lz
ALL_EXTRA =
# In the order of their layers: the Lua binding, the pipeline on it, the adapters on the
# pipeline, then the tests (a part names what an earlier one defines, e.g. LUA_OBJ, COMMON_OBJ).
MK_PARTS := lua/lua.mk adapters/common/common.mk
include $(MK_PARTS) $(filter-out $(MK_PARTS),$(sort $(wildcard adapters/*/*.mk))) $(sort $(wildcard tests/*/*.mk))

# The Debian packages: tests/packages.list (one a line, with what each gives us and
# why), read by tests/packages.sh.  The group build is what `make all` and the demo
# need; test and mta (and exim and sendmail, unpacked by tests/e2e/deps.sh) are the tests'.
PACKAGES = sh tests/packages.sh
# `make test T='unit/test_session e2e/*'`: only the tests matching these patterns
T ?=

.PHONY: all demo demo-keys test check quick unit san-unit deps deps-build deps-undo install install-service deb clean help

all: $(BUILD)/libdkmod.a $(BUILD)/libdkmod.so $(BUILD)/dkmod $(ALL_EXTRA)

help:
	@echo "make deps       install every Debian package of tests/packages.list, then set up the"
	@echo "                end-to-end MTAs (tests/e2e/deps.sh says what it changes)"
	@echo "make deps-build install only the packages the build and the demo need"
	@echo "make deps-undo  undo what deps changed for the tests (tests/e2e/deps.sh --undo)"
	@echo "make            build the library, the dkmod command and the adapters"
	@echo "make demo       sign and verify the sample message against the demo zone (deps-build first)"
	@echo "make test       deps, build everything, run the whole test suite, as CI does (also: make check)"
	@echo "make test T='unit/test_session e2e/*'   the same, only the tests matching the patterns"
	@echo "make quick      the developer loop: unit tests, plain and sanitized, the Mail::DKIM"
	@echo "                corpus and the package list check; installs nothing (under a minute)"
	@echo "make install    install into \$$DESTDIR\$$PREFIX (and \$$SYSCONFDIR/dkmod/dkmod.conf if absent)"
	@echo "make install-service  the systemd unit, sysusers.d and tmpfiles.d files (doc/packaging.md)"
	@echo "make deb        build the Debian packages into \$$BUILD/deb (doc/packaging.md)"

$(BUILD)/%.o: %.c $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/san/%.o: %.c $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -c -o $@ $<

$(BUILD)/libdkmod.a: $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libdkmod.so: $(CORE_OBJ) core/libdkmod.map
	$(CC) -shared -Wl,-soname,libdkmod.so.0 -Wl,--version-script=core/libdkmod.map -o $@ $(CORE_OBJ) $(PKG_LIBS)

# the CLI includes the pipeline's headers and through them lua/policy.h
$(CLI_OBJ): $(wildcard adapters/common/*.h) $(wildcard lua/*.h)

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

# every package (one `apt-get update`, one `apt-get install`), then the MTA set-up
deps:
	@$(PACKAGES) install build test mta
	@bash tests/e2e/deps.sh

deps-build:
	@$(PACKAGES) install build

deps-undo:
	@bash tests/e2e/deps.sh --undo

# git keeps no file modes but the executable bit: the demo keys get theirs back here,
# since the engine refuses private keys that other users can read
demo-keys:
	@chmod 600 conf/demo.key conf/demo-ed25519.key

# The build runs in a second make, started once the packages are there: the
# Makefile reads pkg-config and looks for Exim's local_scan.h when it starts.
demo: deps-build
	@$(MAKE) --no-print-directory all demo-keys
	@sh conf/demo.sh $(BUILD)/dkmod

test check: deps
	@$(MAKE) --no-print-directory all unit san-unit demo-keys
	@set -f; BUILD=$(BUILD) bash tests/run $(T)

# the developer loop: unit tests plain and sanitized, the Mail::DKIM corpus, the package list check
QUICK_TESTS = 'unit/*' 'san/*' 'interop/t_mail_dkim_corpus' 'lint/*'
quick: all unit san-unit demo-keys
	@BUILD=$(BUILD) bash tests/run $(QUICK_TESTS)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 0755 $(BUILD)/dkmod $(DESTDIR)$(PREFIX)/bin/dkmod
	install -m 0644 $(BUILD)/libdkmod.a $(DESTDIR)$(PREFIX)/lib/libdkmod.a
	install -m 0755 $(BUILD)/libdkmod.so $(DESTDIR)$(PREFIX)/lib/libdkmod.so.$(VERSION)
	ln -sf libdkmod.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libdkmod.so.0
	ln -sf libdkmod.so.0 $(DESTDIR)$(PREFIX)/lib/libdkmod.so
	install -m 0644 core/dkmod.h $(DESTDIR)$(PREFIX)/include/dkmod.h
	install -d $(DESTDIR)$(PREFIX)/include/dkmod
	install -m 0644 core/dkmod/*.h $(DESTDIR)$(PREFIX)/include/dkmod/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' core/dkmod.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/dkmod.pc
	install -d $(DESTDIR)$(PREFIX)/share/dkmod/lua/examples $(DESTDIR)$(PREFIX)/share/man/man5 \
		$(DESTDIR)$(PREFIX)/share/man/man7 $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/lib/dkmod
	install -m 0644 lua/*.lua $(DESTDIR)$(PREFIX)/share/dkmod/lua/
	install -m 0644 lua/examples/*.lua $(DESTDIR)$(PREFIX)/share/dkmod/lua/examples/
	install -m 0644 doc/dkmod.8 $(DESTDIR)$(PREFIX)/share/man/man8/dkmod.8
	install -m 0644 doc/dkmod-milter.8 $(DESTDIR)$(PREFIX)/share/man/man8/dkmod-milter.8
	install -m 0644 doc/dkmod.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/dkmod.conf.5
	install -m 0644 doc/dkmod-lua.7 $(DESTDIR)$(PREFIX)/share/man/man7/dkmod-lua.7
	for f in dkmod-pipe dkmod-stdio; do [ ! -x $(BUILD)/$$f ] || install -m 0755 $(BUILD)/$$f $(DESTDIR)$(PREFIX)/bin/$$f; done
	[ ! -x $(BUILD)/dkmod-milter ] || install -D -m 0755 $(BUILD)/dkmod-milter $(DESTDIR)$(PREFIX)/sbin/dkmod-milter
	[ ! -f $(BUILD)/dkmod_local_scan.so ] || install -m 0644 $(BUILD)/dkmod_local_scan.so $(DESTDIR)$(PREFIX)/lib/dkmod/
	install -D -m 0644 adapters/stdio/dkmod $(DESTDIR)$(PREFIX)/share/dkmod/qpsmtpd/dkmod
	# the sample configuration; /etc/dkmod/dkmod.conf only if there is none (never replaced)
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' conf/dkmod.conf.sample > $(DESTDIR)$(PREFIX)/share/dkmod/dkmod.conf.sample
	install -d $(DESTDIR)$(SYSCONFDIR)/dkmod
	[ -e $(DESTDIR)$(SYSCONFDIR)/dkmod/dkmod.conf ] || \
		install -m 0644 $(DESTDIR)$(PREFIX)/share/dkmod/dkmod.conf.sample $(DESTDIR)$(SYSCONFDIR)/dkmod/dkmod.conf

# the service files of conf/systemd: the unit runs $(PREFIX)/sbin/dkmod-milter
SYSTEMD_UNITDIR ?= $(PREFIX)/lib/systemd/system
install-service:
	install -d $(DESTDIR)$(SYSTEMD_UNITDIR) $(DESTDIR)$(PREFIX)/lib/sysusers.d $(DESTDIR)$(PREFIX)/lib/tmpfiles.d
	sed 's|/usr/sbin/|$(PREFIX)/sbin/|' conf/systemd/dkmod-milter.service > $(DESTDIR)$(SYSTEMD_UNITDIR)/dkmod-milter.service
	install -m 0644 conf/systemd/dkmod.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/dkmod.conf
	install -m 0644 conf/systemd/dkmod.tmpfiles $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/dkmod.conf

# Debian packages (debian/): dpkg-buildpackage in a copy of the tree under $(BUILD)/deb,
# so that the .debs land in $(BUILD)/deb and the tree's own build is not touched (nor are
# this make's variables passed on: debian/rules sets its own)
DEB_DIR = $(BUILD)/deb
deb:
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_DIR)/dkmod-$(VERSION)
	tar -cf - --exclude=./.git --exclude=./.build --exclude=./$(BUILD) --exclude=./debian/build . | \
		tar -xf - -C $(DEB_DIR)/dkmod-$(VERSION)
	cd $(DEB_DIR)/dkmod-$(VERSION) && env -u MAKEFLAGS -u MAKEOVERRIDES -u MFLAGS -u BUILD dpkg-buildpackage -us -uc -b -Jauto
	@ls $(DEB_DIR)/*.deb

clean:
	rm -rf $(BUILD)
