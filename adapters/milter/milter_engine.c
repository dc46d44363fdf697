/*
 * milter_engine.c - the engines of dkmod-milter.  A pipeline (engine
 * context, resolver, policy state) serves one thread at a time, so each
 * message takes an engine of its own for its whole life and gives it back
 * at its end; idle engines are kept for the next messages, and more are
 * made (up to MILTER_ENGINES_MAX) when many messages run at once.  The
 * engines of one loading of the configuration form a generation: a reload
 * makes a new generation (new messages take engines from it), and an old
 * one is freed when its last message is done, so no connection is dropped.
 * The shared cache is one LMDB environment per process (core/store/store_lmdb.c),
 * whatever the number of engines.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "milter.h"

#define MILTER_ENGINES_MAX 64    /* engines per generation */
#define MILTER_ENGINE_WAIT 20    /* seconds a message waits for an engine when all are busy */

struct milter_gen;

struct milter_engine {
	struct pipeline *p;
	struct milter_gen *gen;
	struct milter_engine *next;     /* in the generation's idle list */
};

struct milter_gen {
	struct milter_engine *idle;
	unsigned engines;               /* made, idle or busy */
	unsigned busy;
	bool retired;                   /* a newer generation replaced it */
	char *socket;
};

static pthread_mutex_t milter_engine_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t milter_engine_freed = PTHREAD_COND_INITIALIZER;
static struct milter_gen *milter_gen_current;
static struct pipeline_options milter_engine_opt;
static const char *milter_engine_config;

/* milter_engine_report - a configuration error line to the log */
static void milter_engine_report(void *arg, const char *line)
{
	milter_log(DKMOD_LOG_ERROR, "%s", line);
}

/* milter_engine_new - a new engine of generation g (not yet counted in it); NULL if it failed */
static struct milter_engine *milter_engine_new(struct milter_gen *g)
{
	struct milter_engine *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	if (!(e->p = pipeline_new(milter_engine_config, &milter_engine_opt, milter_engine_report, NULL))) {
		free(e);
		return NULL;
	}
	e->gen = g;
	return e;
}

/* milter_engine_free - free an engine */
static void milter_engine_free(struct milter_engine *e)
{
	pipeline_free(e->p);
	free(e);
}

/* milter_gen_free - free a generation and its idle engines (under the lock or alone) */
static void milter_gen_free(struct milter_gen *g)
{
	while (g->idle) {
		struct milter_engine *e = g->idle;
		g->idle = e->next;
		milter_engine_free(e);
	}
	free(g->socket);
	free(g);
}

/* milter_gen_new - a generation with its first engine; NULL after logging why */
static struct milter_gen *milter_gen_new(void)
{
	struct milter_gen *g = calloc(1, sizeof *g);
	if (!g)
		return NULL;
	struct milter_engine *e = milter_engine_new(g);
	if (!e) {
		free(g);
		return NULL;
	}
	const char *sock = pipeline_milter_socket(e->p);
	if (sock && !(g->socket = strdup(sock))) {
		milter_engine_free(e);
		free(g);
		return NULL;
	}
	g->idle = e;
	g->engines = 1;
	return g;
}

/* milter_engine_start - the first generation */
bool milter_engine_start(const struct milter_opts *o)
{
	milter_engine_config = o->config;
	milter_engine_opt = (struct pipeline_options){.log = milter_log_fn, .log_level = o->level};
	return (milter_gen_current = milter_gen_new()) != NULL;
}

/* milter_engine_socket - the current configuration's socket */
const char *milter_engine_socket(void)
{
	return milter_gen_current ? milter_gen_current->socket : NULL;
}

/* milter_engine_reload - a new generation; the old one goes when its messages are done */
void milter_engine_reload(void)
{
	struct milter_gen *g = milter_gen_new();
	if (!g) {
		milter_log(DKMOD_LOG_ERROR, "reload of %s failed; the configuration loaded before stays in use",
			   milter_engine_config);
		return;
	}
	pthread_mutex_lock(&milter_engine_lock);
	struct milter_gen *old = milter_gen_current;
	milter_gen_current = g;
	old->retired = true;
	bool free_old = old->busy == 0;
	pthread_cond_broadcast(&milter_engine_freed);
	pthread_mutex_unlock(&milter_engine_lock);
	if (free_old)
		milter_gen_free(old);
	milter_log(DKMOD_LOG_INFO, "configuration %s reloaded", milter_engine_config);
}

/* milter_engine_stop - free everything */
void milter_engine_stop(void)
{
	if (milter_gen_current)
		milter_gen_free(milter_gen_current);
	milter_gen_current = NULL;
}

/* milter_engine_get - an idle engine, a new one, or (all MILTER_ENGINES_MAX busy) one freed soon */
struct milter_engine *milter_engine_get(void)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += MILTER_ENGINE_WAIT;
	pthread_mutex_lock(&milter_engine_lock);
	for (;;) {
		struct milter_gen *g = milter_gen_current;
		struct milter_engine *e = g->idle;
		if (e) {
			g->idle = e->next;
			g->busy++;
			pthread_mutex_unlock(&milter_engine_lock);
			return e;
		}
		if (g->engines < MILTER_ENGINES_MAX) {
			g->engines++;
			g->busy++;
			pthread_mutex_unlock(&milter_engine_lock);
			if ((e = milter_engine_new(g)))
				return e;
			pthread_mutex_lock(&milter_engine_lock);
			g->engines--;
			g->busy--;
			if (g->retired && g->busy == 0)
				milter_gen_free(g);
			/* the file changed since the generation was loaded: wait for an idle engine */
			milter_log(DKMOD_LOG_WARNING, "cannot make another engine from %s; waiting for a busy one",
				   milter_engine_config);
		}
		if (pthread_cond_timedwait(&milter_engine_freed, &milter_engine_lock, &until) == ETIMEDOUT) {
			pthread_mutex_unlock(&milter_engine_lock);
			milter_log(DKMOD_LOG_ERROR, "no engine free after %d seconds", MILTER_ENGINE_WAIT);
			return NULL;
		}
	}
}

/* milter_engine_put - back to its generation's idle list, or freed with a retired generation */
void milter_engine_put(struct milter_engine *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&milter_engine_lock);
	struct milter_gen *g = e->gen;
	g->busy--;
	bool gone = g->retired;
	if (!gone) {
		e->next = g->idle;
		g->idle = e;
		pthread_cond_signal(&milter_engine_freed);
	}
	bool free_gen = gone && g->busy == 0;
	pthread_mutex_unlock(&milter_engine_lock);
	if (gone)
		milter_engine_free(e);
	if (free_gen)
		milter_gen_free(g);
}

/* milter_engine_pipeline - the engine's pipeline */
struct pipeline *milter_engine_pipeline(struct milter_engine *e)
{
	return e->p;
}
