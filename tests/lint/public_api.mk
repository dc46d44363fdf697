# tests/lint/public_api.mk - the dkmod command and every adapter program linked
# once more against the shared library alone (no libdkmod.a, no crypto, DNS or
# LMDB library of its own): a link that fails names a symbol outside the public
# API (dkmod.h, core/libdkmod.map).  tests/lint/t_public_api.sh checks that these
# exist and that no object of adapters/ or lua/ uses a core symbol that is not
# dkmod_* or includes a core header other than dkmod.h.  Read after the adapters'
# .mk files (name order), whose object lists it uses.
PUBLIC_API_DIR := $(BUILD)/shared
PUBLIC_API_BIN := $(PUBLIC_API_DIR)/dkmod $(PUBLIC_API_DIR)/dkmod-stdio $(PUBLIC_API_DIR)/dkmod-pipe \
	$(PUBLIC_API_DIR)/dkmod-milter

ALL_EXTRA += $(PUBLIC_API_BIN)

$(PUBLIC_API_DIR)/dkmod: $(CLI_OBJ) $(CLI_EXTRA_OBJ) $(BUILD)/libdkmod.so
	@mkdir -p $(dir $@)
	$(CC) -o $@ $(CLI_OBJ) $(CLI_EXTRA_OBJ) $(BUILD)/libdkmod.so $(CLI_EXTRA_LIBS)

$(PUBLIC_API_DIR)/dkmod-stdio: $(STDIO_OBJ) $(COMMON_OBJ) $(LUA_OBJ) $(BUILD)/libdkmod.so
	@mkdir -p $(dir $@)
	$(CC) -o $@ $(STDIO_OBJ) $(COMMON_OBJ) $(LUA_OBJ) $(BUILD)/libdkmod.so $(LUA_LIBS) -lm

$(PUBLIC_API_DIR)/dkmod-pipe: $(PIPE_OBJ) $(COMMON_OBJ) $(LUA_OBJ) $(BUILD)/libdkmod.so
	@mkdir -p $(dir $@)
	$(CC) -o $@ $(PIPE_OBJ) $(COMMON_OBJ) $(LUA_OBJ) $(BUILD)/libdkmod.so $(LUA_LIBS) -lm

$(PUBLIC_API_DIR)/dkmod-milter: $(MILTER_OBJ) $(COMMON_OBJ) $(LUA_OBJ) $(BUILD)/libdkmod.so
	@mkdir -p $(dir $@)
	$(CC) -o $@ $(MILTER_OBJ) $(COMMON_OBJ) $(LUA_OBJ) $(BUILD)/libdkmod.so -lpthread $(LUA_LIBS) -lm
