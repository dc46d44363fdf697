# adapters/stdio/stdio.mk - dkmod-stdio, the long-lived filter of the
# qpsmtpd plugin (adapters/stdio/dkmod); included by the Makefile (needs
# adapters/common/common.mk and lua/lua.mk).  stdio_proto.c has no
# dependency, so fuzz targets can link it alone.
STDIO_SRC := $(sort $(wildcard adapters/stdio/*.c))
STDIO_OBJ := $(STDIO_SRC:%.c=$(BUILD)/%.o)

ALL_EXTRA += $(BUILD)/dkmod-stdio

$(BUILD)/adapters/stdio/%.o: adapters/stdio/%.c $(wildcard adapters/stdio/*.h) $(wildcard adapters/common/*.h) $(wildcard lua/*.h) $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/dkmod-stdio: $(STDIO_OBJ) $(COMMON_OBJ) $(LUA_OBJ) $(BUILD)/libdkmod.a
	$(CC) -o $@ $(STDIO_OBJ) $(COMMON_OBJ) $(LUA_OBJ) $(BUILD)/libdkmod.a $(LUA_LIBS) -lm $(PKG_LIBS)
