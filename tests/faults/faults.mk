# tests/faults/faults.mk - the malloc failure injector tests/faults/t_faults.sh preloads
# (failmalloc.c), built with the unit tests so that a test never builds its own tools.
FAILMALLOC_SO := $(BUILD)/tests/failmalloc.so

$(FAILMALLOC_SO): tests/faults/failmalloc.c
	@mkdir -p $(dir $@)
	$(CC) -O1 -shared -fPIC -o $@ $< -ldl

unit: $(FAILMALLOC_SO)
