// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ttbpf-report: one self-contained HTML page from a `ttbpf-trace --record`
 * database: usage over time per chip and type (stacked by process), the
 * peak with the largest buffers live then and their stacks (Python lines
 * first where recorded), allocation failures, and the top allocation
 * sites. Inline SVG, no network.
 */
#include <argp.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "out_file.h"
#include "text_escape.h"
#include "version.h"

static struct env {
	const char *db;
	const char *out;
	bool force;
} env;

void (*argp_program_version_hook)(FILE *,
				  struct argp_state *) = version__argp_hook;

static const char doc[] =
	"Write one self-contained HTML report (inline SVG, nothing loaded from "
	"the network) from a database recorded with `ttbpf-trace --record`.\n"
	"\n"
	"USAGE: ttbpf-report FILE.db -o report.html [--force]\n";

static const struct argp_option options[] = {
	{ "output", 'o', "FILE.html", 0,
	  "Where to write the report (created new)", 0 },
	{ "force", 'f', NULL, 0, "Replace an existing regular file of yours",
	  0 },
	{},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'o':
		env.out = arg;
		break;
	case 'f':
		env.force = true;
		break;
	case ARGP_KEY_ARG:
		if (env.db)
			argp_error(state, "one database only: %s", arg);
		env.db = arg;
		break;
	case ARGP_KEY_END:
		if (!env.db || !env.out)
			argp_error(state, "need FILE.db and -o FILE.html");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/*
 * Untrusted text (comm, symbols, paths) into HTML: terminal-safe first
 * (controls and invalid UTF-8 as \xNN), then the five HTML specials.
 */
static void html(FILE *f, const char *s)
{
	size_t n = strlen(s), len = TEXT_ESCAPED_LEN(n);
	char *buf = malloc(len);

	if (!buf)
		return;
	text_escape(s, n, buf, len);
	for (const char *p = buf; *p; p++) {
		switch (*p) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*p, f);
		}
	}
	free(buf);
}

/* Schema 2 recordings have Python call chains (recorder.h). */
static bool has_py;

static const char *col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

static void human(FILE *f, long long v)
{
	static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double d = (double)v;
	int i = 0;

	while (d >= 1024 && i < 4) {
		d /= 1024;
		i++;
	}
	if (i)
		fprintf(f, "%.2f %s", d, u[i]);
	else
		fprintf(f, "%lld B", v);
}

/* Frames one a line: html() alone would show the newlines as \x0a. */
static void lines_html(FILE *f, const char *s)
{
	while (s && *s) {
		size_t n = strcspn(s, "\n");
		char *one = strndup(s, n);

		if (one)
			html(f, one);
		free(one);
		s += n;
		if (*s) {
			fputc('\n', f);
			s++;
		}
	}
}

/* A stack: the Python lines, innermost first, then the native frames. */
static void stack_html(FILE *f, const char *py, const char *native)
{
	if (py && *py) {
		fputs("<span class=\"py\">", f);
		lines_html(f, py);
		fputs("</span>\n", f);
	}
	lines_html(f, native);
}

/*
 * A site in one line: the innermost Python line where one was captured,
 * else the first native frame outside tt_metal.
 */
static char *site_line(const char *py, const char *native)
{
	const char *p = native, *site = native;

	if (py && *py && *py != '[')
		return strndup(py, strcspn(py, "\n"));
	while (p && *p) {
		if (strncmp(p, "tt::tt_metal::", 14)) {
			site = p;
			break;
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return strndup(site ? site : "", site ? strcspn(site, "\n") : 0);
}

static const char *const palette[] = { "#4e79a7", "#f28e2b", "#59a14f",
				       "#76b7b2", "#edc948", "#b07aa1",
				       "#ff9da7", "#9c755f", "#bab0ac" };

struct series {
	long long pid;
	char comm[64];
	long long *v; /* bytes at each time */
};

#define W   900
#define H   260
#define PAD 60

/* ?1 ?2 ?3: which chart a query is for. */
static void bind_chart(sqlite3_stmt *st, long long device, const char *kind,
		       const char *type)
{
	sqlite3_bind_int64(st, 1, device);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, type, -1, SQLITE_STATIC);
}

/*
 * Allocation @a did not fail: an allocation is recorded at its entry, and
 * one that threw is followed by alloc_failed on the same Buffer before
 * anything else happens to it.
 */
#define SUCCEEDED(a)                                                           \
	"(SELECT r.kind FROM events r WHERE r.pid = " a ".pid AND r.buffer = " \
	"" a ".buffer AND r.id > " a ".id AND r.kind IN ('alloc', 'free', "    \
	"'alloc_failed') ORDER BY r.id LIMIT 1) IS NOT 'alloc_failed'"

/*
 * Allocations of one chart not released by the time of its peak (?4):
 * no free of the Buffer, and no bulk free of its allocator, exit or exec
 * of its process (those few are in temp.releases, see report()). Each
 * test is an index search: one scan of a process's events per
 * allocation made a recording of 200,000 events take minutes.
 */
#define LIVE_AT_PEAK                                                          \
	"WHERE a.kind = 'alloc' AND a.device = ?1 AND a.dev_kind = ?2 "       \
	"AND a.type = ?3 AND a.ts_ns <= ?4 AND NOT EXISTS (SELECT 1 FROM "    \
	"events r WHERE r.pid = a.pid AND r.buffer = a.buffer AND r.id > "    \
	"a.id AND r.kind = 'free' AND r.ts_ns <= ?4) AND NOT EXISTS (SELECT " \
	"1 FROM temp.releases r WHERE r.pid = a.pid AND r.id > a.id AND "     \
	"r.ts_ns <= ?4 AND (r.kind <> 'bulk_free' OR r.allocator = "          \
	"a.allocator)) AND " SUCCEEDED("a") " ORDER BY a.size DESC LIMIT 5"

/* One chart: bytes of every process over the sample times, stacked. */
static int chart(sqlite3 *db, FILE *f, long long device, const char *kind,
		 const char *type, long long t0)
{
	sqlite3_stmt *st;
	long long *ts = NULL, max = 0, peak_ts = 0, peak = 0, hwm = 0;
	size_t nt = 0, ns = 0;
	struct series *ser = NULL;
	double x_of, y_of;
	int ret = 0;

	/* Sample times and the device total at each (pid 0 rows). */
	sqlite3_prepare_v2(
		db,
		"SELECT ts_ns, bytes, peak FROM samples WHERE pid = 0 "
		"AND device = ?1 AND dev_kind = ?2 AND type = ?3 "
		"ORDER BY ts_ns",
		-1, &st, NULL);
	bind_chart(st, device, kind, type);
	while (sqlite3_step(st) == SQLITE_ROW) {
		long long *n = realloc(ts, (nt + 1) * sizeof(*ts));

		if (!n)
			break;
		ts = n;
		ts[nt++] = sqlite3_column_int64(st, 0);
		if (sqlite3_column_int64(st, 1) > peak) {
			peak = sqlite3_column_int64(st, 1);
			peak_ts = ts[nt - 1];
		}
		if (sqlite3_column_int64(st, 2) > hwm)
			hwm = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	if (!nt || !hwm)
		goto out;
	max = hwm;
	/* Per process: bytes at each sample time (0 when absent). */
	sqlite3_prepare_v2(db,
			   "SELECT pid, comm, ts_ns, bytes FROM samples WHERE "
			   "pid > 0 AND device = ?1 AND dev_kind = ?2 AND "
			   "type = ?3 ORDER BY pid, ts_ns",
			   -1, &st, NULL);
	bind_chart(st, device, kind, type);
	while (sqlite3_step(st) == SQLITE_ROW) {
		long long pid = sqlite3_column_int64(st, 0);
		long long t = sqlite3_column_int64(st, 2);
		size_t i;

		if (!ns || ser[ns - 1].pid != pid) {
			struct series *n =
				realloc(ser, (ns + 1) * sizeof(*ser));

			if (!n)
				break;
			ser = n;
			ser[ns].pid = pid;
			snprintf(ser[ns].comm, sizeof(ser[ns].comm), "%s",
				 col(st, 1));
			ser[ns].v = calloc(nt, sizeof(long long));
			if (!ser[ns].v)
				break;
			ns++;
		}
		for (i = 0; i < nt && ts[i] != t; i++)
			;
		if (i < nt)
			ser[ns - 1].v[i] = sqlite3_column_int64(st, 3);
	}
	sqlite3_finalize(st);

	x_of = nt > 1 ? (double)(W - 2 * PAD) / (double)(ts[nt - 1] - ts[0])
		      : 0;
	y_of = (double)(H - 2 * PAD / 2) / (double)max;
	fprintf(f,
		"<section class=\"chart\"><h2>chip %lld%s%s &middot; %s</h2>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%d\" data-device=\"%lld\" data-type=\"%s\" "
		"data-peak=\"%lld\" data-hwm=\"%lld\">\n",
		device, strcmp(kind, "chip") ? " " : "",
		strcmp(kind, "chip") ? kind : "", type, W, H + 20, device, type,
		peak, hwm);
#define X(t) (PAD + ((double)((t)-ts[0])) * x_of)
#define Y(b) (H - PAD / 2 - (double)(b)*y_of)
	fprintf(f,
		"<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
		"stroke=\"#888\"/>\n",
		PAD, Y(0), W - PAD, Y(0));
	fprintf(f, "<text x=\"4\" y=\"%.1f\" font-size=\"11\">", Y(max) + 4);
	human(f, max);
	fputs("</text>\n", f);
	/* Stacked: polygon per process between the cumulative sums. */
	{
		long long *base = calloc(nt, sizeof(long long));

		for (size_t s = 0; base && s < ns; s++) {
			fprintf(f,
				"<polygon class=\"proc\" data-pid=\"%lld\" "
				"fill=\"%s\" fill-opacity=\"0.8\" points=\"",
				ser[s].pid,
				palette[s %
					(sizeof(palette) / sizeof(*palette))]);
			for (size_t i = 0; i < nt; i++)
				fprintf(f, "%.1f,%.1f ", X(ts[i]),
					Y(base[i] + ser[s].v[i]));
			for (size_t i = nt; i-- > 0;)
				fprintf(f, "%.1f,%.1f ", X(ts[i]), Y(base[i]));
			fputs("\"><title>pid ", f);
			fprintf(f, "%lld ", ser[s].pid);
			html(f, ser[s].comm);
			fputs("</title></polygon>\n", f);
			for (size_t i = 0; i < nt; i++)
				base[i] += ser[s].v[i];
		}
		free(base);
	}
	/* The highest sample, and failures of this chip and type. */
	fprintf(f,
		"<g class=\"peak\" data-bytes=\"%lld\"><line x1=\"%.1f\" "
		"y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#d00\" "
		"stroke-dasharray=\"4 2\"/><text x=\"%.1f\" y=\"%.1f\" "
		"font-size=\"11\" fill=\"#d00\">peak ",
		peak, X(peak_ts), Y(0), X(peak_ts), Y(peak), X(peak_ts) + 3,
		Y(peak) + 12);
	human(f, peak);
	fputs("</text></g>\n", f);
	sqlite3_prepare_v2(db,
			   "SELECT ts_ns, size, pid FROM events WHERE kind = "
			   "'alloc_failed' AND device = ?1 AND dev_kind = ?2 "
			   "AND type = ?3 ORDER BY id",
			   -1, &st, NULL);
	bind_chart(st, device, kind, type);
	while (sqlite3_step(st) == SQLITE_ROW) {
		long long t = sqlite3_column_int64(st, 0);

		if (t < ts[0])
			t = ts[0];
		if (t > ts[nt - 1])
			t = ts[nt - 1];
		fprintf(f,
			"<g class=\"failure\" data-size=\"%lld\"><circle "
			"cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#d00\"/>"
			"<title>allocation failed: %lld B %s, pid %lld"
			"</title></g>\n",
			sqlite3_column_int64(st, 1), X(t), Y(0),
			sqlite3_column_int64(st, 1), type,
			sqlite3_column_int64(st, 2));
	}
	sqlite3_finalize(st);
	fprintf(f,
		"<text x=\"%d\" y=\"%d\" font-size=\"11\">0 s</text><text "
		"x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%.1f "
		"s</text>\n",
		PAD, H + 12, W - PAD, H + 12, (double)(ts[nt - 1] - t0) / 1e9);
	fputs("</svg>\n<p class=\"legend\">", f);
	for (size_t s = 0; s < ns; s++) {
		fprintf(f, "<span style=\"color:%s\">&#9632;</span> pid %lld ",
			palette[s % (sizeof(palette) / sizeof(*palette))],
			ser[s].pid);
		html(f, ser[s].comm);
		fputs(" &nbsp; ", f);
	}
	fputs("</p>\n", f);
#undef X
#undef Y
	ret = 1;
	/* What was live at the highest sample: largest buffers first. */
	sqlite3_prepare_v2(
		db,
		has_py ? "SELECT a.pid, a.comm, a.size, (SELECT frames FROM "
			 "stacks s WHERE s.pid = a.pid AND s.stack_id = "
			 "a.stack_id), (SELECT frames FROM py_stacks p WHERE "
			 "p.pid = a.pid AND p.py_stack_id = a.py_stack_id) "
			 "FROM events a " LIVE_AT_PEAK
		       : "SELECT a.pid, a.comm, a.size, (SELECT frames FROM "
			 "stacks s WHERE s.pid = a.pid AND s.stack_id = "
			 "a.stack_id), NULL FROM events a " LIVE_AT_PEAK,
		-1, &st, NULL);
	bind_chart(st, device, kind, type);
	sqlite3_bind_int64(st, 4, peak_ts);
	fputs("<details class=\"live\"><summary>largest buffers live at the "
	      "peak</summary><table><tr><th>pid</th><th>comm</th><th>size</th>"
	      "<th>stack</th></tr>\n",
	      f);
	while (sqlite3_step(st) == SQLITE_ROW) {
		fprintf(f, "<tr><td>%lld</td><td>",
			sqlite3_column_int64(st, 0));
		html(f, col(st, 1));
		fprintf(f, "</td><td>%lld B</td><td><pre>",
			sqlite3_column_int64(st, 2));
		stack_html(f, col(st, 4), col(st, 3));
		fputs("</pre></td></tr>\n", f);
	}
	sqlite3_finalize(st);
	fputs("</table></details></section>\n", f);
out:
	for (size_t s = 0; s < ns; s++)
		free(ser[s].v);
	free(ser);
	free(ts);
	return ret;
}

static void failures(sqlite3 *db, FILE *f, long long t0)
{
	sqlite3_stmt *st;

	fputs("<h2>Allocation failures</h2><table id=\"failures\"><tr><th>"
	      "time</th><th>pid</th><th>comm</th><th>device</th><th>type</th>"
	      "<th>size</th></tr>\n",
	      f);
	sqlite3_prepare_v2(db,
			   "SELECT ts_ns, pid, comm, device, dev_kind, type, "
			   "size FROM events WHERE kind = 'alloc_failed' "
			   "ORDER BY id",
			   -1, &st, NULL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		fprintf(f,
			"<tr class=\"failure\"><td>%.3f "
			"s</td><td>%lld</td><td>",
			(double)(sqlite3_column_int64(st, 0) - t0) / 1e9,
			sqlite3_column_int64(st, 1));
		html(f, col(st, 2));
		fprintf(f,
			"</td><td>%s %lld</td><td>%s</td><td>%lld "
			"B</td></tr>\n",
			!strcmp(col(st, 4), "chip") ? "chip" : col(st, 4),
			sqlite3_column_int64(st, 3), col(st, 5),
			sqlite3_column_int64(st, 6));
	}
	sqlite3_finalize(st);
	fputs("</table>\n", f);
}

/*
 * Sites: the whole stack, Python lines first; the row names the innermost
 * Python line or else the first native frame outside tt_metal.
 */
static void sites(sqlite3 *db, FILE *f)
{
	sqlite3_stmt *st;

	fputs("<h2>Top allocation sites</h2><table id=\"sites\"><tr><th>"
	      "bytes allocated</th><th>allocations</th><th>stack</th></tr>\n",
	      f);
	sqlite3_prepare_v2(
		db,
		has_py ? "SELECT sum(e.size), count(*), s.frames, p.frames "
			 "FROM events e LEFT JOIN stacks s ON s.pid = e.pid "
			 "AND s.stack_id = e.stack_id LEFT JOIN py_stacks p "
			 "ON p.pid = e.pid AND p.py_stack_id = e.py_stack_id "
			 "WHERE e.kind = 'alloc' AND (s.frames IS NOT NULL OR "
			 "p.frames IS NOT NULL) AND " SUCCEEDED(
				 "e") " GROUP BY s.frames, p.frames "
				      "ORDER BY 1 DESC LIMIT 15"
		       : "SELECT sum(e.size), count(*), s.frames, NULL FROM "
			 "events e JOIN stacks s ON s.pid = e.pid AND "
			 "s.stack_id = e.stack_id WHERE e.kind = 'alloc' "
			 "AND " SUCCEEDED("e") " GROUP BY s.frames ORDER BY 1 "
					       "DESC LIMIT 15",
		-1, &st, NULL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char *one = site_line(col(st, 3), col(st, 2));

		fprintf(f,
			"<tr class=\"site\"><td>%lld B</td><td>%lld</td><td>"
			"<details><summary>",
			sqlite3_column_int64(st, 0),
			sqlite3_column_int64(st, 1));
		if (one)
			html(f, one);
		free(one);
		fputs("</summary><pre>", f);
		stack_html(f, col(st, 3), col(st, 2));
		fputs("</pre></details></td></tr>\n", f);
	}
	sqlite3_finalize(st);
	fputs("</table>\n", f);
}

static int report(sqlite3 *db, FILE *f)
{
	sqlite3_stmt *st;
	long long t0 = 0, n_ev = 0;
	int charts = 0;

	sqlite3_prepare_v2(
		db,
		"SELECT min(ts_ns), (SELECT count(*) FROM events) FROM samples",
		-1, &st, NULL);
	if (sqlite3_step(st) == SQLITE_ROW) {
		t0 = sqlite3_column_int64(st, 0);
		n_ev = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	/* The few events that release many buffers, indexed for the
	 * live-at-the-peak query (the database itself is read-only). */
	if (sqlite3_exec(db,
			 "CREATE TEMP TABLE releases AS SELECT id, pid, ts_ns, "
			 "kind, allocator FROM events WHERE kind IN "
			 "('bulk_free', 'exit', 'exec'); CREATE INDEX "
			 "temp.releases_pid ON releases(pid, id)",
			 NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "ttbpf-report: %s\n", sqlite3_errmsg(db));
		return -EIO;
	}
	has_py = sqlite3_exec(db,
			      "SELECT py_stack_id FROM events LIMIT 0; "
			      "SELECT 1 FROM py_stacks LIMIT 0",
			      NULL, NULL, NULL) == SQLITE_OK;
	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\""
	      "default-src 'none'; style-src 'unsafe-inline'; script-src "
	      "'unsafe-inline'\">"
	      "<title>ttbpf report</title><style>"
	      "body{font:14px sans-serif;margin:20px;color:#222}"
	      "table{border-collapse:collapse}td,th{border:1px solid #ccc;"
	      "padding:2px 6px;text-align:left;vertical-align:top}"
	      "pre{margin:0;font-size:11px}.py{color:#2a6f2a}h2{font-size:16px;"
	      "margin:18px 0 4px}"
	      "</style></head><body>\n<h1>ttbpf: Tenstorrent device memory "
	      "over time</h1>\n<p>",
	      f);
	sqlite3_prepare_v2(
		db,
		"SELECT key, value FROM meta WHERE key LIKE "
		"'library.%' OR key = 'events_not_recorded' ORDER BY key",
		-1, &st, NULL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		html(f, col(st, 0));
		fputs(": ", f);
		html(f, col(st, 1));
		fputs("<br>\n", f);
	}
	sqlite3_finalize(st);
	fprintf(f,
		"%lld events recorded. Charts: bytes held per process, "
		"stacked, at each usage sample; the dashed line marks the "
		"highest sample, red dots allocation failures.</p>\n",
		n_ev);
	sqlite3_prepare_v2(
		db,
		"SELECT DISTINCT device, dev_kind, type FROM samples "
		"WHERE pid = 0 ORDER BY dev_kind, device, "
		"CASE type WHEN 'DRAM' THEN 0 WHEN 'L1' THEN 1 WHEN "
		"'L1_SMALL' THEN 2 WHEN 'TRACE' THEN 3 ELSE 4 END",
		-1, &st, NULL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char kind[16], type[16];

		snprintf(kind, sizeof(kind), "%s", col(st, 1));
		snprintf(type, sizeof(type), "%s", col(st, 2));
		charts += chart(db, f, sqlite3_column_int64(st, 0), kind, type,
				t0);
	}
	sqlite3_finalize(st);
	if (!charts)
		fputs("<p>No usage sample recorded.</p>\n", f);
	failures(db, f, t0);
	sites(db, f);
	/* The one script: a count a headless browser's DOM shows. */
	fputs("<p id=\"rendered\"></p><script>document.getElementById("
	      "'rendered').textContent = document.querySelectorAll("
	      "'svg[data-type]').length + ' charts rendered';</script>\n"
	      "</body></html>\n",
	      f);
	return ferror(f) ? -EIO : 0;
}

/*
 * Open @path read-only as immutable: SQLite then creates no -shm and
 * opens no -wal, names another user could have planted beside the file.
 * Data still in a non-empty -wal (a tracer that was killed) would be
 * missed, so that is refused with the way to fold it in.
 */
static int open_db(const char *path, sqlite3 **db, char *err, size_t errlen)
{
	size_t n = strlen(path);
	char *wal = malloc(n + 5), *uri = malloc(n * 3 + 32), *q;
	char esc[TEXT_ESCAPED_LEN(256)];
	struct stat st;
	int ret = 0;

	if (!wal || !uri) {
		ret = -ENOMEM;
		goto out;
	}
	snprintf(wal, n + 5, "%s-wal", path);
	if (!lstat(wal, &st) && (!S_ISREG(st.st_mode) || st.st_size)) {
		snprintf(err, errlen,
			 "%s holds data not yet in the database (the tracer "
			 "was killed?): run `sqlite3 FILE.db 'PRAGMA "
			 "wal_checkpoint(TRUNCATE)'` as the file's owner first",
			 text_escape(wal, 256, esc, sizeof(esc)));
		ret = -EAGAIN;
		goto out;
	}
	q = uri + sprintf(uri, "file:");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		q += sprintf(
			q, isalnum(*p) || strchr("/._-", *p) ? "%c" : "%%%02X",
			*p);
	strcpy(q, "?immutable=1");
	if (sqlite3_open_v2(uri, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
			    NULL) != SQLITE_OK ||
	    sqlite3_exec(*db, "SELECT 1 FROM samples, events LIMIT 1", NULL,
			 NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen,
			 "cannot read %s: %s (want a file from ttbpf-trace "
			 "--record)",
			 text_escape(path, 256, esc, sizeof(esc)),
			 *db ? sqlite3_errmsg(*db) : "out of memory");
		ret = -EIO;
	}
out:
	free(wal);
	free(uri);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { options, parse_opt, "FILE.db", doc,
					  NULL,	   NULL,      NULL };
	char err[1024], esc[TEXT_ESCAPED_LEN(256)];
	sqlite3 *db = NULL;
	FILE *f;
	int fd, ret;

	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 1;
	if (open_db(env.db, &db, err, sizeof(err))) {
		fprintf(stderr, "ttbpf-report: %s\n", err);
		sqlite3_close(db);
		return 1;
	}
	fd = out_file__create(env.out, env.force, err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "ttbpf-report: %s\n", err);
		sqlite3_close(db);
		return 1;
	}
	f = fdopen(fd, "w");
	ret = f ? report(db, f) : -errno;
	if (f && fclose(f))
		ret = -errno;
	sqlite3_close(db);
	if (ret) {
		fprintf(stderr, "ttbpf-report: writing %s: %s\n",
			text_escape(env.out, 256, esc, sizeof(esc)),
			strerror(-ret));
		return 1;
	}
	return 0;
}
