# adapters/milter/milter.mk - dkmod-milter, the before-queue filter of
# Postfix and Sendmail (libmilter, Debian libmilter-dev); included by the
# Makefile (needs adapters/common/common.mk and lua/lua.mk).  Built only
# where libmilter's header is installed, so a machine without it still
# builds everything else.
MILTER_SRC := $(sort $(wildcard adapters/milter/*.c))
MILTER_OBJ := $(MILTER_SRC:%.c=$(BUILD)/%.o)
MILTER_HAVE := $(wildcard /usr/include/libmilter/mfapi.h)

ifneq ($(MILTER_HAVE),)
ALL_EXTRA += $(BUILD)/dkmod-milter
else
$(info dkmod-milter: not built (no libmilter/mfapi.h; Debian package libmilter-dev))
endif

$(BUILD)/adapters/milter/%.o: adapters/milter/%.c $(wildcard adapters/milter/*.h) $(wildcard adapters/common/*.h) $(wildcard lua/*.h) $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/dkmod-milter: $(MILTER_OBJ) $(COMMON_OBJ) $(LUA_OBJ) $(BUILD)/libdkmod.a
	$(CC) -o $@ $(MILTER_OBJ) $(COMMON_OBJ) $(LUA_OBJ) $(BUILD)/libdkmod.a -lmilter -lpthread $(LUA_LIBS) -lm $(PKG_LIBS)
