# adapters/common/common.mk - the pipeline every adapter runs (configuration,
# engine, policy script): COMMON_OBJ for the adapters' link rules, and the
# pipeline's unit test.  The Makefile reads it after lua/lua.mk and before the
# other adapters' .mk files, whose rules use COMMON_OBJ.

COMMON_SRC := $(sort $(wildcard adapters/common/*.c))
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o)
SAN_COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/san/%.o)

CLI_EXTRA_OBJ += $(COMMON_OBJ)

$(BUILD)/adapters/common/%.o: adapters/common/%.c $(wildcard adapters/common/*.h) $(wildcard lua/*.h) $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ilua -c -o $@ $<

$(BUILD)/san/adapters/common/%.o: adapters/common/%.c $(wildcard adapters/common/*.h) $(wildcard lua/*.h) $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -Ilua -c -o $@ $<

# the pipeline's unit tests link the pipeline too (static pattern rules win over lua.mk's pattern)
PIPELINE_TESTS := test_lua_pipeline test_lua_pipeline_tables

$(PIPELINE_TESTS:%=$(BUILD)/unit/%): $(BUILD)/unit/%: tests/unit/%.c tests/unit/unit.h $(COMMON_OBJ) $(LUA_OBJ) \
		$(BUILD)/libdkmod.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ilua -Iadapters/common -Itests/unit -o $@ $< $(COMMON_OBJ) $(LUA_OBJ) $(BUILD)/libdkmod.a \
		$(LUA_LIBS) -lm $(PKG_LIBS)

$(PIPELINE_TESTS:%=$(BUILD)/san/unit/%): $(BUILD)/san/unit/%: tests/unit/%.c tests/unit/unit.h $(SAN_COMMON_OBJ) \
		$(SAN_LUA_OBJ) $(BUILD)/san/libdkmod.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -Ilua -Iadapters/common -Itests/unit -o $@ $< $(SAN_COMMON_OBJ) $(SAN_LUA_OBJ) \
		$(BUILD)/san/libdkmod.a $(LUA_LIBS) -lm $(PKG_LIBS)
