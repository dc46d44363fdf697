# lua/lua.mk - the LuaJIT binding (configuration loader, policy sandbox) and
# the unit tests of the binding.  The Makefile reads it first: the adapters'
# rules use its LUA_OBJ and LUA_LIBS.

LUA_CFLAGS := $(shell pkg-config --cflags luajit 2>/dev/null || echo -I/usr/include/luajit-2.1)
LUA_LIBS := $(shell pkg-config --libs luajit 2>/dev/null || echo -lluajit-5.1)
LUA_SRC := $(sort $(wildcard lua/*.c))
LUA_OBJ := $(LUA_SRC:%.c=$(BUILD)/%.o)
SAN_LUA_OBJ := $(LUA_SRC:%.c=$(BUILD)/san/%.o)

CLI_EXTRA_OBJ += $(LUA_OBJ)
CLI_EXTRA_LIBS += $(LUA_LIBS) -lm

# named as targets so that the unit test rules below may depend on them
$(LUA_OBJ) $(SAN_LUA_OBJ): $(wildcard lua/*.h)

$(BUILD)/lua/%.o: lua/%.c $(wildcard lua/*.h) $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LUA_CFLAGS) -c -o $@ $<

$(BUILD)/san/lua/%.o: lua/%.c $(wildcard lua/*.h) $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(LUA_CFLAGS) -c -o $@ $<

# unit tests of the binding (tests/unit/test_lua*.c) link it and LuaJIT
$(BUILD)/unit/test_lua%: tests/unit/test_lua%.c tests/unit/unit.h $(LUA_OBJ) $(BUILD)/libdkmod.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LUA_CFLAGS) -Ilua -Itests/unit -o $@ $< $(LUA_OBJ) $(BUILD)/libdkmod.a $(LUA_LIBS) -lm $(PKG_LIBS)

$(BUILD)/san/unit/test_lua%: tests/unit/test_lua%.c tests/unit/unit.h $(SAN_LUA_OBJ) $(BUILD)/san/libdkmod.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(LUA_CFLAGS) -Ilua -Itests/unit -o $@ $< $(SAN_LUA_OBJ) $(BUILD)/san/libdkmod.a $(LUA_LIBS) -lm $(PKG_LIBS)
