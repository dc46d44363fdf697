# tests/adapters/adapters.mk - the probe tests/adapters/t_exim_config.sh runs: the Exim
# adapter's exim_proc.o printing the configuration path it would load; built with the
# unit tests when the Exim object is (local_scan.h found, adapters/exim/exim.mk).
ifneq ($(wildcard $(EXIM_INCLUDE)/local_scan.h),)
EXIM_PROBE := $(BUILD)/tests/exim_config_probe
EXIM_PROBE_OBJ := $(BUILD)/adapters/exim/exim_proc.o $(COMMON_OBJ) $(LUA_OBJ) $(BUILD)/libdkmod.a

$(EXIM_PROBE): tests/adapters/exim_config_probe.c adapters/exim/exim.h $(EXIM_PROBE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iadapters/exim -Iadapters/common -Ilua -o $@ $< $(EXIM_PROBE_OBJ) $(LUA_LIBS) -lm $(PKG_LIBS)

unit: $(EXIM_PROBE)
endif
