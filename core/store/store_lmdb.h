/*
 * store_lmdb.h - what the two LMDB files share (store_lmdb.c: the engine's
 * shared state; store_lmdb_map.c: read-only map files).  Only they include it.
 */
#ifndef DKMOD_STORE_LMDB_H
#define DKMOD_STORE_LMDB_H

#include <stddef.h>

#include <lmdb.h>

/* store_val - an MDB_val over a caller's buffer */
static inline MDB_val store_val(const void *p, size_t n)
{
	return (MDB_val){ .mv_size = n, .mv_data = (void *)p };
}

#endif
