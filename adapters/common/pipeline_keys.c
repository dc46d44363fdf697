/*
 * pipeline_keys.c - the key files a signer's signing table and key template
 * make it read, for `dkmod doctor` (pipeline_paths): each entry's signatures,
 * and where an entry or the template stands for any domain (%{d} of a * or
 * .parent entry, key template with a selector), every file the path matches.
 */
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "pipeline_int.h"

/* What one walk over a table hands on. */
struct pipeline_keys_walk {
	const struct conf_signer *g;
	pipeline_path_fn *fn;
	void *arg;
};

/* pipeline_keys_glob - fn for each file pattern matches ('*' in place of the domain) */
static void pipeline_keys_glob(const char *pattern, const char *selector, pipeline_path_fn *fn, void *arg)
{
	glob_t gl;
	if (glob(pattern, 0, NULL, &gl) != 0)
		return; /* no file yet: nothing to judge */
	for (size_t i = 0; i < gl.gl_pathc; i++)
		fn(arg, PIPELINE_PATH_KEY, gl.gl_pathv[i], NULL, selector);
	globfree(&gl);
}

/* pipeline_keys_key - one key path: the file, or every file it stands for */
static void pipeline_keys_key(const char *key, const char *domain, const char *selector, pipeline_path_fn *fn,
			      void *arg)
{
	if (strchr(domain, '*'))
		pipeline_keys_glob(key, selector, fn, arg);
	else
		fn(arg, PIPELINE_PATH_KEY, key, domain, selector);
}

/* pipeline_keys_entry - dkmod_signtable_each's callback: the key file of each signature */
static int pipeline_keys_entry(void *arg, const struct dkmod_signtable_match *m, const char *why)
{
	struct pipeline_keys_walk *w = arg;
	char key[PATH_MAX];
	(void)why; /* a bad entry is config-check's to report */
	for (size_t i = 0; i < m->nsigs; i++)
		if (conf_table_key(w->g, &m->sigs[i], key, sizeof key))
			pipeline_keys_key(key, m->sigs[i].domain, m->sigs[i].selector, w->fn, w->arg);
	return 0;
}

/* pipeline_signer_keys - the signer's table and the key files it and the template name */
void pipeline_signer_keys(const struct conf_signer *g, pipeline_path_fn *fn, void *arg)
{
	char key[PATH_MAX], why[600];
	if (g->key_template && g->selector && conf_expand(g->key_template, "*", g->selector, key, sizeof key))
		pipeline_keys_glob(key, g->selector, fn, arg);
	if (!g->sign_table)
		return;
	fn(arg, PIPELINE_PATH_SIGN_TABLE, g->sign_table, NULL, NULL);
	struct dkmod_signtable *t;
	if (dkmod_signtable_open(g->sign_table, &t, why, sizeof why) != DKMOD_OK)
		return; /* the table's own check says why */
	struct pipeline_keys_walk w = {g, fn, arg};
	dkmod_signtable_each(t, pipeline_keys_entry, &w);
	dkmod_signtable_free(t);
}
