# adapters/pipe/pipe.mk - dkmod-pipe, the Postfix pipe(8) content filter;
# included by the Makefile (needs adapters/common/common.mk and lua/lua.mk).
PIPE_SRC := $(sort $(wildcard adapters/pipe/*.c))
PIPE_OBJ := $(PIPE_SRC:%.c=$(BUILD)/%.o)

ALL_EXTRA += $(BUILD)/dkmod-pipe

$(BUILD)/adapters/pipe/%.o: adapters/pipe/%.c $(wildcard adapters/pipe/*.h) $(wildcard adapters/common/*.h) $(wildcard core/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/dkmod-pipe: $(PIPE_OBJ) $(COMMON_OBJ) $(LUA_OBJ) $(BUILD)/libdkmod.a
	$(CC) -o $@ $(PIPE_OBJ) $(COMMON_OBJ) $(LUA_OBJ) $(BUILD)/libdkmod.a $(LUA_LIBS) -lm $(PKG_LIBS)
