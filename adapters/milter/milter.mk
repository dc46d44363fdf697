# adapters/milter/milter.mk - dkmod-milter, the before-queue filter of
# Postfix and Sendmail (the milter protocol, adapters/milter/milter_proto.c);
# included by the Makefile (needs adapters/common/common.mk and lua/lua.mk).
MILTER_SRC := $(sort $(wildcard adapters/milter/*.c))
MILTER_OBJ := $(MILTER_SRC:%.c=$(BUILD)/%.o)
ALL_EXTRA += $(BUILD)/dkmod-milter

$(BUILD)/adapters/milter/%.o: adapters/milter/%.c $(wildcard adapters/milter/*.h) $(wildcard adapters/common/*.h) $(wildcard lua/*.h) $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/dkmod-milter: $(MILTER_OBJ) $(COMMON_OBJ) $(LUA_OBJ) $(BUILD)/libdkmod.a
	$(CC) -o $@ $(MILTER_OBJ) $(COMMON_OBJ) $(LUA_OBJ) $(BUILD)/libdkmod.a -lpthread $(LUA_LIBS) -lm $(PKG_LIBS)
