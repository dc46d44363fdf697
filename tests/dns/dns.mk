# tests/dns/dns.mk - dnsq (tests/dns/dnsq.c), the resolver's answers as text for
# tests/dns/t_nsd_forward.sh, linked with the library; built with the unit tests.
DNSQ := $(BUILD)/tests/dnsq

$(DNSQ): tests/dns/dnsq.c $(BUILD)/libdkmod.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libdkmod.a $(PKG_LIBS)

unit: $(DNSQ)
