// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "event_format.h"
#include "out_file.h"
#include "pysymbolize.h"
#include "recorder.h"
#include "release_rows.h"
#include "stacks.h"
#include "stacks.h"
#include "symbolize.h"
#include "text_escape.h"

/* (pid, stack_id) pairs already written, so each stack is stored once. */
struct seen {
	uint64_t *keys;
	size_t n, cap;
};

#define RECORDER_BATCH 4096

struct recorder {
	sqlite3 *db;
	sqlite3_stmt *ins_event, *ins_sample, *ins_stack, *ins_py, *ins_meta,
		*ins_released;
	struct symbolizer *sym;
	struct pysymbolizer *py;
	struct seen seen, py_seen;
	bool in_tx;
	bool full; /* the size bound was reached: nothing more is written */
	uint64_t lost;
	uint64_t batch; /* events in the open transaction */
	char *wal_path;
	unsigned int n_libs;
};

static const char schema[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
	"CREATE TABLE events(id INTEGER PRIMARY KEY, ts_ns INTEGER NOT NULL,"
	" kind TEXT NOT NULL, pid INTEGER, tid INTEGER, comm TEXT,"
	" device INTEGER, dev_kind TEXT, type TEXT, size INTEGER,"
	" address INTEGER, buffer INTEGER, allocator INTEGER, count INTEGER,"
	" stack_id INTEGER, flags INTEGER, py_stack_id INTEGER);"
	"CREATE TABLE samples(ts_ns INTEGER NOT NULL, pid INTEGER NOT NULL,"
	" comm TEXT, device INTEGER, dev_kind TEXT, type TEXT,"
	" bytes INTEGER, buffers INTEGER, peak INTEGER);"
	"CREATE TABLE stacks(pid INTEGER, stack_id INTEGER, frames TEXT,"
	" PRIMARY KEY (pid, stack_id));"
	"CREATE TABLE py_stacks(pid INTEGER, py_stack_id INTEGER, frames TEXT,"
	" PRIMARY KEY (pid, py_stack_id));"
	"CREATE TABLE released(event_id INTEGER NOT NULL, device INTEGER,"
	" dev_kind TEXT, type TEXT, size INTEGER, count INTEGER);"
	/* ttbpf-report looks up the free of each buffer. */
	"CREATE INDEX events_buffer ON events(pid, buffer);";

static int sql_err(sqlite3 *db, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", what, db ? sqlite3_errmsg(db) : "");
	return -EIO;
}

/*
 * FILE.db new (or, with --force, replaced when it is ours), and FILE-wal
 * created here: SQLite opens it by name, following links, so it gets a
 * file of ours that no other user can swap (the directory is ours or
 * sticky: out_file__create checked). Siblings are checked before
 * anything is created, so a refusal leaves nothing behind.
 */
static int prepare_files(const struct recorder_opts *o, char *err,
			 size_t errlen)
{
	static const char *const sfx[] = { "-wal", "-shm", "-journal" };
	size_t n = strlen(o->path) + 16;
	char *p = malloc(n), esc[TEXT_ESCAPED_LEN(256)];
	bool created = false;
	struct stat st;
	int fd, ret = 0;

	if (!p)
		return -ENOMEM;
	/* The file itself first: its refusal is the one that says most. */
	if (!o->force && !lstat(o->path, &st)) {
		fd = out_file__create(o->path, false, err, errlen);
		if (fd < 0) {
			ret = fd;
		} else { /* it went meanwhile: now it is ours */
			close(fd);
			created = true;
		}
	}
	for (size_t i = 0; i < 3 && !ret && !o->force; i++) {
		snprintf(p, n, "%s%s", o->path, sfx[i]);
		if (!lstat(p, &st) || errno != ENOENT) {
			snprintf(err, errlen,
				 "%s exists: not used (--force removes a "
				 "regular file of yours)",
				 text_escape(p, 256, esc, sizeof(esc)));
			ret = -EEXIST;
		}
	}
	if (!ret && !created) {
		fd = out_file__create(o->path, o->force, err, errlen);
		if (fd < 0)
			ret = fd;
		else
			close(fd);
	}
	for (size_t i = 0; i < 3 && !ret && o->force; i++) {
		snprintf(p, n, "%s%s", o->path, sfx[i]);
		ret = out_file__remove_own(p, err, errlen);
	}
	if (!ret) {
		snprintf(p, n, "%s-wal", o->path);
		fd = out_file__create(p, false, err, errlen);
		if (fd < 0)
			ret = fd;
		else
			close(fd);
	}
	free(p);
	return ret;
}

static int exec_sql(struct recorder *r, const char *sql, char *err,
		    size_t errlen)
{
	if (sqlite3_exec(r->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sql_err(r->db, sql, err, errlen);
	return 0;
}

static void put_meta(struct recorder *r, const char *key, const char *value)
{
	sqlite3_bind_text(r->ins_meta, 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(r->ins_meta, 2, value, -1, SQLITE_TRANSIENT);
	sqlite3_step(r->ins_meta);
	sqlite3_reset(r->ins_meta);
}

int recorder__open(const struct recorder_opts *o, struct recorder **out,
		   char *err, size_t errlen)
{
	struct recorder *r;
	struct timespec ts;
	char sql[128];
	int ret;

	ret = prepare_files(o, err, errlen);
	if (ret)
		return ret;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	if (asprintf(&r->wal_path, "%s-wal", o->path) < 0)
		r->wal_path = NULL;
	if (sqlite3_open_v2(o->path, &r->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW,
			    NULL) != SQLITE_OK) {
		ret = sql_err(r->db, "cannot open the database", err, errlen);
		goto fail;
	}
	/*
	 * Exclusive WAL: no -shm file, and one transaction per batch; a
	 * killed tracer leaves every committed batch and nothing half.
	 */
	snprintf(sql, sizeof(sql),
		 "PRAGMA page_size=4096; PRAGMA max_page_count=%llu;",
		 (unsigned long long)(o->max_bytes / 4096 ? o->max_bytes / 4096
							  : 1));
	ret = exec_sql(r, sql, err, errlen);
	if (!ret)
		ret = exec_sql(r,
			       "PRAGMA locking_mode=EXCLUSIVE;"
			       "PRAGMA journal_mode=WAL;"
			       "PRAGMA synchronous=NORMAL;"
			       "PRAGMA journal_size_limit=8388608;",
			       err, errlen);
	if (!ret)
		ret = exec_sql(r, schema, err, errlen);
	if (ret)
		goto fail;
	if (sqlite3_prepare_v2(r->db,
			       "INSERT INTO events(ts_ns, kind, pid, tid, "
			       "comm, device, dev_kind, type, size, address, "
			       "buffer, allocator, count, stack_id, flags, "
			       "py_stack_id) "
			       "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			       -1, &r->ins_event, NULL) ||
	    sqlite3_prepare_v2(r->db,
			       "INSERT INTO samples VALUES(?,?,?,?,?,?,?,?,?)",
			       -1, &r->ins_sample, NULL) ||
	    sqlite3_prepare_v2(r->db,
			       "INSERT OR IGNORE INTO stacks VALUES(?,?,?)", -1,
			       &r->ins_stack, NULL) ||
	    sqlite3_prepare_v2(r->db,
			       "INSERT OR IGNORE INTO py_stacks VALUES(?,?,?)",
			       -1, &r->ins_py, NULL) ||
	    sqlite3_prepare_v2(r->db,
			       "INSERT INTO released VALUES(?,?,?,?,?,?)", -1,
			       &r->ins_released, NULL) ||
	    sqlite3_prepare_v2(r->db, "INSERT OR REPLACE INTO meta VALUES(?,?)",
			       -1, &r->ins_meta, NULL)) {
		ret = sql_err(r->db, "preparing statements", err, errlen);
		goto fail;
	}
	put_meta(r, "schema_version", RECORDER_SCHEMA_VERSION);
	put_meta(r, "ttbpf_version", o->version);
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(sql, sizeof(sql), "%llu",
		 (unsigned long long)ts.tv_sec * 1000000000ULL +
			 (unsigned long long)ts.tv_nsec);
	put_meta(r, "start_ns", sql);
	/*
	 * Rows written at the end, made now: replacing them later needs no
	 * new page, so they fit even when --record-max has been reached.
	 */
	put_meta(r, "events_not_recorded", "0");
	r->sym = symbolizer__new("/proc");
	r->py = pysymbolizer__new("/proc");
	*out = r;
	return 0;
fail:
	recorder__close(r, 0);
	return ret;
}

int recorder__add_library(struct recorder *r, const char *path)
{
	char key[32];

	snprintf(key, sizeof(key), "library.%u", r->n_libs++);
	put_meta(r, key, path);
	return 0;
}

static int begin(struct recorder *r)
{
	if (r->in_tx)
		return 0;
	if (sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return -EIO;
	r->in_tx = true;
	return 0;
}

/* A step that failed because the bound was reached stops recording. */
static int step(struct recorder *r, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc == SQLITE_FULL)
		r->full = true;
	return -EIO;
}

static bool seen_add(struct seen *s, uint32_t pid, int32_t id)
{
	uint64_t key = (uint64_t)pid << 32 | (uint32_t)id;

	for (size_t i = 0; i < s->n; i++)
		if (s->keys[i] == key)
			return false;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		uint64_t *k = realloc(s->keys, cap * sizeof(*k));

		if (!k)
			return false;
		s->keys = k;
		s->cap = cap;
	}
	s->keys[s->n++] = key;
	return true;
}

/* One Python frame as the report shows it: "file:line function". */
static void py_frame_line(FILE *f, const struct py_frame *fr)
{
	char label[1024];

	if (fr->status == PY_FRAME_OK)
		fprintf(f, "%s:%d %s", fr->file, fr->line, fr->function);
	else if (fr->status == PY_FRAME_NO_LINE)
		fprintf(f, "%s:? %s (line unknown)", fr->file, fr->function);
	else
		fprintf(f, "[%s]", py_frame__label(fr, label, sizeof(label)));
}

/*
 * Symbolize while the process is alive: later its maps and code objects
 * are gone. The native stack goes to stacks, the Python chain (@python)
 * to py_stacks; a Python id below 0 is a note (ttbpf_py.h), stored as
 * such for a process that runs Python.
 */
static void record_stack(struct recorder *r, const struct ttbpf_event *e,
			 const struct ttbpf_maps *maps, bool python)
{
	struct stack_sym ss = { .pid = e->pid,
				.id = python ? -1 : e->stack_id,
				.py_id = python ? e->py_stack_id
						: TTBPF_PY_NONE };
	int32_t id = python ? e->py_stack_id : e->stack_id;
	sqlite3_stmt *st = python ? r->ins_py : r->ins_stack;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (!maps ||
	    !(python ? r->py && pysymbolizer__is_python(r->py, e->pid)
		     : r->sym != NULL) ||
	    !seen_add(python ? &r->py_seen : &r->seen, e->pid, id))
		return;
	if (stack_sym__resolve(&ss, maps, python ? NULL : r->sym,
			       python ? r->py : NULL) ||
	    !ss.n)
		goto cleanup;
	f = open_memstream(&text, &len);
	if (!f)
		goto cleanup;
	for (size_t i = 0; i < ss.n; i++) {
		fputs(i ? "\n" : "", f);
		/* Python notes (not captured, truncated) are "[...]". */
		if (i < ss.n_py && ss.py[i].status != PY_FRAME_NONE)
			py_frame_line(f, &ss.py[i]);
		else
			fputs(ss.labels[i], f);
	}
	fclose(f);
	sqlite3_bind_int64(st, 1, e->pid);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_text(st, 3, text, (int)len, SQLITE_TRANSIENT);
	step(r, st);
	free(text);
cleanup:
	stack_sym__free(&ss);
}

/* Columns @col, @col + 1, @col + 2: device, dev_kind, type, as every
 * table of the schema names them. */
static void bind_device_type(sqlite3_stmt *st, int col, int64_t device,
			     unsigned int dev_kind, unsigned int type)
{
	sqlite3_bind_int64(st, col, device);
	sqlite3_bind_text(st, col + 1, dev_kind_name(dev_kind), -1,
			  SQLITE_STATIC);
	sqlite3_bind_text(st, col + 2, buffer_type_name(type), -1,
			  SQLITE_STATIC);
}

/* The rows of a bulk_free, exit or exec, under the event's row id. */
static int record_released(struct recorder *r, sqlite3_int64 event_id,
			   const struct release_rows *rows)
{
	sqlite3_stmt *st = r->ins_released;

	for (size_t i = 0; rows && i < rows->n; i++) {
		const struct release_row *w = &rows->v[i];

		sqlite3_bind_int64(st, 1, event_id);
		bind_device_type(st, 2, w->device, w->dev_kind, w->type);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)w->size);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)w->count);
		if (step(r, st))
			return -ENOSPC;
	}
	return 0;
}

int recorder__event(struct recorder *r, const struct ttbpf_event *e,
		    const struct release_rows *rows, uint64_t wall_ns,
		    const struct ttbpf_maps *maps)
{
	sqlite3_stmt *st = r->ins_event;
	bool per_buffer = e->kind == TTBPF_EV_ALLOC ||
			  e->kind == TTBPF_EV_FREE ||
			  e->kind == TTBPF_EV_ALLOC_FAILED;
	bool with_rows = rows && rows->n;

	if (r->full || begin(r)) {
		r->lost++;
		return -ENOSPC;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)wall_ns);
	sqlite3_bind_text(st, 2, event_kind_name(e->kind), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, e->pid);
	sqlite3_bind_int64(st, 4, e->tid);
	/* The exact bytes: readers escape for where they show it. */
	sqlite3_bind_text(st, 5, e->comm, (int)strnlen(e->comm, TTBPF_COMM_LEN),
			  SQLITE_TRANSIENT);
	if (per_buffer) {
		bind_device_type(st, 6, e->device, e->dev_kind, e->type);
		sqlite3_bind_int64(st, 9, (sqlite3_int64)e->size);
		/* 0: not known when the event was made (alloc events: the
		 * allocator has not returned yet), as JSON's null. */
		if (e->address)
			sqlite3_bind_int64(st, 10, (sqlite3_int64)e->address);
	}
	sqlite3_bind_int64(st, 11, (sqlite3_int64)e->buffer);
	sqlite3_bind_int64(st, 12, (sqlite3_int64)e->allocator);
	sqlite3_bind_int64(st, 13, e->count);
	if (e->stack_id >= 0 && e->kind == TTBPF_EV_ALLOC)
		sqlite3_bind_int64(st, 14, e->stack_id);
	sqlite3_bind_int64(st, 15, e->flags);
	/* Only where frames (or a note why not) are stored: see below. */
	if (e->kind == TTBPF_EV_ALLOC && e->py_stack_id != TTBPF_PY_NONE &&
	    r->py && pysymbolizer__is_python(r->py, e->pid))
		sqlite3_bind_int64(st, 16, e->py_stack_id);
	/* An event and its released rows are stored whole or not at all:
	 * events_not_recorded counts both. */
	if (with_rows)
		sqlite3_exec(r->db, "SAVEPOINT ev", NULL, NULL, NULL);
	if (step(r, st) ||
	    record_released(r, sqlite3_last_insert_rowid(r->db), rows)) {
		if (with_rows)
			sqlite3_exec(r->db, "ROLLBACK TO ev; RELEASE ev", NULL,
				     NULL, NULL);
		r->lost++;
		return -ENOSPC;
	}
	if (with_rows)
		sqlite3_exec(r->db, "RELEASE ev", NULL, NULL, NULL);
	/*
	 * A steady stream keeps tracer__poll() from returning: commit from
	 * here too, so a kill loses at most this many events.
	 */
	if (++r->batch >= RECORDER_BATCH)
		recorder__commit(r);
	if (e->stack_id >= 0 && e->kind == TTBPF_EV_ALLOC)
		record_stack(r, e, maps, false);
	if (e->kind == TTBPF_EV_ALLOC && e->py_stack_id != TTBPF_PY_NONE)
		record_stack(r, e, maps, true);
	if (e->kind == TTBPF_EV_EXIT || e->kind == TTBPF_EV_EXEC) {
		symbolizer__forget(r->sym, e->pid);
		/* A reused pid is inspected again. */
		pysymbolizer__forget(r->py, e->pid);
	}
	return 0;
}

static int sample_row(struct recorder *r, uint64_t wall_ns, uint32_t pid,
		      const char *comm, int device, uint32_t kind, int t,
		      const struct ttbpf_usage *u)
{
	sqlite3_stmt *st = r->ins_sample;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)wall_ns);
	sqlite3_bind_int64(st, 2, pid);
	if (comm)
		sqlite3_bind_text(st, 3, comm,
				  (int)strnlen(comm, TTBPF_COMM_LEN),
				  SQLITE_TRANSIENT);
	bind_device_type(st, 4, device, kind, (unsigned int)t);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)u->bytes[t]);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)u->buffers[t]);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)u->peak[t]);
	return step(r, st);
}

int recorder__sample(struct recorder *r, const struct state *s,
		     uint64_t wall_ns)
{
	if (r->full || begin(r))
		return -ENOSPC;
	for (size_t i = 0; i < s->n_devs; i++)
		for (int t = 0; t < TTBPF_NR_TYPES; t++)
			if (sample_row(r, wall_ns, 0, NULL, s->devs[i].device,
				       s->devs[i].kind, t, &s->devs[i].u))
				return -ENOSPC;
	for (size_t i = 0; i < s->n_procs; i++) {
		const struct state_proc *p = &s->procs[i];

		for (int t = 0; t < TTBPF_NR_TYPES; t++) {
			if (!p->u.bytes[t] && !p->u.peak[t])
				continue;
			if (sample_row(r, wall_ns, p->pid, p->u.comm, p->device,
				       p->kind, t, &p->u))
				return -ENOSPC;
		}
	}
	return 0;
}

int recorder__commit(struct recorder *r)
{
	int ret = 0;

	if (!r->in_tx)
		return 0;
	if (sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		/* Full while committing: keep what fits, drop the batch. */
		if (sqlite3_extended_errcode(r->db) == SQLITE_FULL)
			r->full = true;
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
		r->lost += r->batch;
		ret = -EIO;
	}
	r->in_tx = false;
	r->batch = 0;
	return ret;
}

uint64_t recorder__lost(const struct recorder *r)
{
	return r->lost;
}

void recorder__close(struct recorder *r, uint64_t end_wall_ns)
{
	char v[32];

	if (!r)
		return;
	if (r->db && r->ins_meta) {
		recorder__commit(r);
		sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL);
		snprintf(v, sizeof(v), "%llu", (unsigned long long)r->lost);
		put_meta(r, "events_not_recorded", v);
		snprintf(v, sizeof(v), "%llu", (unsigned long long)end_wall_ns);
		if (end_wall_ns)
			put_meta(r, "end_ns", v);
		sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
	}
	sqlite3_finalize(r->ins_event);
	sqlite3_finalize(r->ins_sample);
	sqlite3_finalize(r->ins_stack);
	sqlite3_finalize(r->ins_py);
	sqlite3_finalize(r->ins_meta);
	sqlite3_finalize(r->ins_released);
	sqlite3_close(r->db);
	/* SQLite may leave the -wal made at open, empty: not worth a file. */
	if (r->wal_path) {
		struct stat st;

		if (!lstat(r->wal_path, &st) && S_ISREG(st.st_mode) &&
		    !st.st_size && st.st_uid == geteuid())
			unlink(r->wal_path);
		free(r->wal_path);
	}
	symbolizer__free(r->sym);
	pysymbolizer__free(r->py);
	free(r->seen.keys);
	free(r->py_seen.keys);
	free(r);
}
