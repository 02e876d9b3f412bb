/*
 * imapctl - prepare and inspect device images from a PC, with the same store
 * code the device runs: users, import from Maildir/mbox, export to Maildir or
 * mbox, listing, fsck, TLS certificate, ACLs.
 *
 * Messages are stored with CRLF line ends (what IMAP serves); import turns
 * bare LFs into CRLF, export writes LF files as Maildir and mbox expect.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "flash_file.h"
#include "imap_acl.h"
#include "imap_date.h"
#include "imap_mailbox.h"
#include "imapd_config.h"
#include "mime.h"
#include "mime_impl.h"
#include "store.h"
#include "tls.h"

static struct store store;
static struct flash_file image;
static const struct flash_dev *dev;
static const char *prog = "imapctl";

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static const char *serr(int e)
{
	switch (e) {
	case STORE_NOSPACE: return "image is full";
	case STORE_LIMIT: return "a table of the image is full (messages, mailboxes or keywords)";
	case STORE_NOENT: return "no such mailbox or record";
	case STORE_EXISTS: return "already exists";
	case STORE_INVAL: return "invalid name or argument";
	case STORE_BUSY: return "busy";
	case STORE_IO: return "flash I/O error";
	case STORE_CORRUPT: return "image is damaged";
	default: return "storage error";
	}
}

/* The image does not say its erase unit to a file: try the usual sizes,
 * the right one is the one the store mounts with. */
static int probe(const char *path, bool mount)
{
	static const uint32_t sizes[] = { 4096, 512, 1024, 2048, 8192, 16384, 32768, 65536, 131072 };
	struct stat st;
	if (stat(path, &st) != 0)
		die("%s: %s", path, strerror(errno));
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (st.st_size % sizes[i] || st.st_size / sizes[i] < 8)
			continue;
		struct flash_geometry geo = { sizes[i], (uint32_t)(st.st_size / sizes[i]), 1 };
		if (flash_file_open(&image, path, &geo, &dev) != 0)
			die("%s: cannot open image: %s", path, strerror(errno));
		int r = store_mount(&store, dev);
		if (r == STORE_OK) {
			if (!mount)
				store_unmount(&store);
			return STORE_OK;
		}
		flash_file_close(&image);
	}
	return STORE_CORRUPT;
}

static void open_image(const char *path)
{
	if (access(path, R_OK | W_OK) != 0)
		die("%s: %s", path, strerror(errno));
	if (probe(path, true) != STORE_OK)
		die("%s: not an imapd image, or damaged", path);
	if (tls_crypto_init() != 0)
		die("cannot initialise the crypto library");
}

/* STORE_AGAIN asks for a GC slice; a store with no slice left to run is
 * full for this purpose. */
static bool store_wait(void)
{
	return store_poll(&store) || store_poll(&store);
}

/* Bulk import on a PC: one fsync at the end instead of one per message.
 * A crash mid-import loses at most the messages since the start; run it
 * again. (The device itself never batches: its commits are durable.) */
static struct flash_dev batch_dev;
static const struct flash_dev *real_dev;

static int batch_sync(const struct flash_dev *f)
{
	(void)f;
	return 0;
}

static void batch_begin(void)
{
	store_unmount(&store);
	real_dev = dev;
	batch_dev = *dev;
	batch_dev.sync = batch_sync;
	dev = &batch_dev;
	if (store_mount(&store, dev) != STORE_OK)
		die("cannot remount the image");
}

static void close_image(void)
{
	while (store_poll(&store))
		;
	store_unmount(&store);
	if (real_dev && real_dev->sync(real_dev) != 0)
		die("cannot write the image to disk: %s", strerror(errno));
	flash_file_close(&image);
}

static unsigned long long parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	if (*end || v == 0)
		die("bad size: %s", s);
	return v;
}

/* ---- init ---- */

static int cmd_init(int argc, char **argv)
{
	unsigned long long size = 16ull << 20, sector = 4096;
	if (argc < 1)
		die("usage: init IMAGE [--size N[KMG]] [--sector N]");
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--size") && i + 1 < argc)
			size = parse_size(argv[++i]);
		else if (!strcmp(argv[i], "--sector") && i + 1 < argc)
			sector = parse_size(argv[++i]);
		else
			die("init: unknown option %s", argv[i]);
	}
	if (sector & (sector - 1) || sector < 512 || size % sector || size / sector < 8)
		die("init: the size must be at least 8 sectors of a power-of-two sector size >= 512");
	if (access(argv[0], F_OK) == 0)
		die("%s exists; refusing to overwrite mail", argv[0]);
	struct flash_geometry geo = { (uint32_t)sector, (uint32_t)(size / sector), 1 };
	if (flash_file_open(&image, argv[0], &geo, &dev) != 0)
		die("%s: cannot create", argv[0]);
	int r = store_format(&store, dev);
	if (r == STORE_OK)
		r = store_mount(&store, dev);
	if (r != STORE_OK)
		die("%s: format failed (%s)", argv[0], serr(r));
	close_image();
	printf("%s: %llu bytes, %llu sectors of %llu\n", argv[0], size, size / sector, sector);
	return 0;
}

/* ---- users ---- */

static void read_password(char *buf, size_t cap, const char *user)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO);
	if (tty) {
		fprintf(stderr, "password for %s: ", user);
		tcgetattr(STDIN_FILENO, &old);
		quiet = old;
		quiet.c_lflag &= (tcflag_t)~ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	if (!fgets(buf, (int)cap, stdin))
		buf[0] = '\0';
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	if (!buf[0])
		die("empty password");
}

static bool user_exists(const char *user)
{
	char key[STORE_CFG_KEY_MAX + 1];
	uint8_t b[64];
	snprintf(key, sizeof(key), "user/%s", user);
	return store_cfg_get(&store, key, b, sizeof(b)) > 0;
}

static int cmd_useradd(int argc, char **argv, bool must_exist)
{
	char pw[IMAPD_PASS_MAX + 2];
	if (argc < 2)
		die("usage: %s IMAGE NAME [--password PW]", must_exist ? "passwd" : "useradd");
	open_image(argv[0]);
	if (must_exist && !user_exists(argv[1]))
		die("no such user: %s", argv[1]);
	if (!must_exist && user_exists(argv[1]))
		die("user %s exists (use passwd)", argv[1]);
	if (argc >= 4 && !strcmp(argv[2], "--password"))
		snprintf(pw, sizeof(pw), "%s", argv[3]);
	else if (argc == 2)
		read_password(pw, sizeof(pw), argv[1]);
	else
		die("unexpected argument %s", argv[2]);
	if (strlen(pw) > IMAPD_PASS_MAX)
		die("password longer than %d bytes", IMAPD_PASS_MAX);
	int r = auth_user_add(&store, argv[1], pw);
	memset(pw, 0, sizeof(pw));
	if (r != STORE_OK)
		die("%s: %s", argv[1], r == STORE_INVAL ? "invalid user name" : serr(r));
	close_image();
	return 0;
}

static int cmd_userdel(int argc, char **argv)
{
	char key[STORE_CFG_KEY_MAX + 1];
	if (argc < 2)
		die("usage: userdel IMAGE NAME");
	open_image(argv[0]);
	if (!user_exists(argv[1]))
		die("no such user: %s", argv[1]);
	store_mbox_t mb;
	while ((mb = store_mbox_next(&store, argv[1], -1)) >= 0) {
		int r;
		while ((r = store_mbox_delete(&store, mb)) == STORE_AGAIN)
			if (!store_wait())
				break;
		if (r != STORE_OK)
			die("deleting mailboxes of %s: %s", argv[1], serr(r));
	}
	snprintf(key, sizeof(key), "user/%s", argv[1]);
	int r = store_cfg_del(&store, key);
	if (r != STORE_OK)
		die("%s: %s", argv[1], serr(r));
	close_image();
	return 0;
}

static int cmd_users(int argc, char **argv)
{
	char key[STORE_CFG_KEY_MAX + 1];
	uint32_t cur = 0;
	if (argc < 1)
		die("usage: users IMAGE");
	open_image(argv[0]);
	while (store_cfg_next(&store, "user/", &cur, key) == 1)
		printf("%s\n", key + 5);
	close_image();
	return 0;
}

/* ---- import ---- */

struct source {
	char *name;
	FILE *f;
	long off, len;        /* the message's bytes in f */
	uint32_t flags;
	int64_t date;
	bool mbox;            /* mboxrd ">From " unescaping */
};

static struct {
	struct mime_parser mp;
	uint8_t blob[STORE_META_MAX];
} meta;

/* Stream src's bytes, as stored (CRLF, unescaped), to out(). Returns size. */
static uint64_t transform(struct source *src, void (*out)(const char *, size_t, void *), void *ctx)
{
	char in[65536], buf[2 * sizeof(in) + 2];
	uint64_t total = 0;
	bool bol = true, prev_cr = false;
	long left = src->len;
	fseek(src->f, src->off, SEEK_SET);
	while (left > 0) {
		size_t n = fread(in, 1, left < (long)sizeof(in) ? (size_t)left : sizeof(in), src->f);
		if (n == 0)
			break;
		left -= (long)n;
		size_t o = 0;
		for (size_t i = 0; i < n; i++) {
			char c = in[i];
			if (src->mbox && bol && c == '>') {
				/* ">From " / ">>From ": drop one '>' (mboxrd) */
				size_t j = i;
				while (j < n && in[j] == '>')
					j++;
				if (j + 5 <= n && !memcmp(in + j, "From ", 5)) {
					bol = false;
					continue;
				}
			}
			if (c == '\n' && !prev_cr)
				buf[o++] = '\r';
			buf[o++] = c;
			prev_cr = c == '\r';
			bol = c == '\n';
		}
		total += o;
		if (out)
			out(buf, o, ctx);
	}
	return total;
}

struct writer {
	struct store_append *a;
	int err;
};

static void write_out(const char *d, size_t n, void *ctx)
{
	struct writer *w = ctx;
	mime_parse_feed(&meta.mp, d, n);
	while (n && !w->err) {
		int r = store_append_write(&store, w->a, d, (uint32_t)n);
		if (r == STORE_AGAIN) {
			if (!store_wait())
				w->err = STORE_NOSPACE;
			continue;
		}
		if (r < 0) {
			w->err = r;
			return;
		}
		d += r;
		n -= (size_t)r;
	}
}

static int import_one(store_mbox_t mb, struct source *src, uint64_t *bytes)
{
	uint64_t size = transform(src, NULL, NULL);
	if (size == 0 || size > UINT32_MAX)
		return STORE_INVAL;
	struct store_append *a;
	int r;
	while ((r = store_append_begin(&store, mb, (uint32_t)size, src->date, 0, src->flags, &a)) ==
	       STORE_AGAIN)
		if (!store_wait())
			return STORE_NOSPACE;
	if (r != STORE_OK)
		return r;
	struct writer w = { a, 0 };
	mime_parse_init(&meta.mp, meta.blob, sizeof(meta.blob), 0);
	transform(src, write_out, &w);
	if (w.err) {
		store_append_abort(&store, a);
		return w.err;
	}
	uint32_t uid, mlen = mime_parse_finish(&meta.mp);
	while ((r = store_append_commit(&store, a, meta.blob, mlen, &uid)) == STORE_AGAIN)
		if (!store_wait()) {
			store_append_abort(&store, a);
			return STORE_NOSPACE;
		}
	if (r == STORE_OK)
		*bytes += size;
	return r;
}

static uint32_t maildir_flags(const char *name)
{
	const char *info = strstr(name, ":2,");
	uint32_t f = 0;
	if (!info)
		return 0;
	for (info += 3; *info; info++)
		switch (*info) {
		case 'S': f |= STORE_F_SEEN; break;
		case 'R': f |= STORE_F_ANSWERED; break;
		case 'F': f |= STORE_F_FLAGGED; break;
		case 'T': f |= STORE_F_DELETED; break;
		case 'D': f |= STORE_F_DRAFT; break;
		}
	return f;
}

struct progress {
	bool tty;
	unsigned long msgs, total_msgs;
	uint64_t bytes, total_bytes;
	double t0;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void progress_show(struct progress *p, bool last)
{
	double dt = now_s() - p->t0;
	double mbs = dt > 0 ? (double)p->bytes / 1048576.0 / dt : 0;
	if (p->tty) {
		double rate = dt > 0 ? (double)p->bytes / dt : 0;
		double eta = rate > 0 ? (double)(p->total_bytes - p->bytes) / rate : 0;
		fprintf(stderr, "\r%lu/%lu messages, %.1f MB, %.1f MB/s, ETA %.0f s   ", p->msgs,
			p->total_msgs, (double)p->bytes / 1048576.0, mbs, eta);
		if (last)
			fputc('\n', stderr);
	} else if (last) {
		printf("imported %lu messages, %llu bytes in %.2f s (%.1f msg/s, %.2f MB/s)\n", p->msgs,
		       (unsigned long long)p->bytes, dt, dt > 0 ? p->msgs / dt : 0, mbs);
	}
}

static struct source *list;
static size_t nlist, caplist;

static struct source *add_source(const char *name)
{
	if (nlist == caplist) {
		caplist = caplist ? 2 * caplist : 1024;
		list = realloc(list, caplist * sizeof(*list));
		if (!list)
			die("out of memory");
	}
	struct source *s = &list[nlist++];
	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	if (!s->name)
		die("out of memory");
	return s;
}

static void collect_maildir(const char *dir)
{
	static const char *const subs[] = { "cur", "new" };
	for (int k = 0; k < 2; k++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, subs[k]);
		struct dirent **ents;
		int m = scandir(path, &ents, NULL, alphasort);
		if (m < 0)
			continue;
		for (int i = 0; i < m; i++) {
			if (ents[i]->d_name[0] != '.') {
				char file[8192];
				snprintf(file, sizeof(file), "%s/%s", path, ents[i]->d_name);
				add_source(file)->flags = maildir_flags(ents[i]->d_name);
			}
			free(ents[i]);
		}
		free(ents);
	}
}

/* "From sender Wed Nov 25 18:32:35 2026" -> Unix time (UTC); 0 if unreadable */
static int64_t mbox_from_date(const char *line)
{
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	char m[4];
	int d, hh, mm, ss, y;
	const char *p = strchr(line + 5, ' ');
	if (!p || sscanf(p, " %*3s %3s %d %d:%d:%d %d", m, &d, &hh, &mm, &ss, &y) != 6)
		return 0;
	for (unsigned i = 0; i < 12; i++)
		if (!strcmp(m, mon[i]))
			return imap_days_from_civil(y, i + 1, (unsigned)d) * 86400 + hh * 3600 + mm * 60 + ss;
	return 0;
}

static int cmd_import(int argc, char **argv)
{
	if (argc < 4)
		die("usage: import IMAGE USER MAILBOX PATH...");
	const char *user = argv[1], *mbname = argv[2];
	for (int i = 3; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0)
			die("%s: %s", argv[i], strerror(errno));
		if (S_ISDIR(st.st_mode)) {
			char cur[4096];
			snprintf(cur, sizeof(cur), "%s/cur", argv[i]);
			struct stat cs;
			if (stat(cur, &cs) != 0) {
				snprintf(cur, sizeof(cur), "%s/new", argv[i]);
				if (stat(cur, &cs) != 0)
					die("%s: not a Maildir folder (no cur/ or new/)", argv[i]);
			}
			collect_maildir(argv[i]);
			continue;
		}
		/* mbox: split at "From " lines */
		FILE *f = fopen(argv[i], "rb");
		if (!f)
			die("%s: %s", argv[i], strerror(errno));
		char line[4096];
		long off = 0, start = -1;
		unsigned long lineno = 0;
		int64_t date = 0;
		bool bol = true;
		while (fgets(line, sizeof(line), f)) {
			size_t l = strlen(line);
			lineno++;
			if (bol && !strncmp(line, "From ", 5)) {
				if (start >= 0) {
					struct source *src = add_source(argv[i]);
					*src = (struct source){ src->name, f, start, off - start, 0, date, true };
				}
				date = mbox_from_date(line);
				start = off + (long)l;
			} else if (start < 0 && bol) {
				die("%s:%lu: not an mbox file (expected a \"From \" line)", argv[i], lineno);
			}
			bol = l && line[l - 1] == '\n';
			off += (long)l;
		}
		if (start >= 0) {
			struct source *src = add_source(argv[i]);
			*src = (struct source){ src->name, f, start, off - start, 0, date, true };
		}
	}
	open_image(argv[0]);
	batch_begin();
	if (!user_exists(user))
		die("no such user: %s", user);
	store_mbox_t mb;
	if (store_mbox_find(&store, user, mbname, &mb) != STORE_OK) {
		int r = store_mbox_create(&store, user, mbname, 0, &mb);
		if (r != STORE_OK)
			die("cannot create mailbox %s: %s", mbname, serr(r));
	}
	size_t n = nlist;
	struct progress pr = { isatty(STDERR_FILENO), 0, n, 0, 0, now_s() };
	for (size_t i = 0; i < n; i++) {
		if (!list[i].f) {   /* a Maildir file: open now, date from mtime */
			struct stat st;
			list[i].f = fopen(list[i].name, "rb");
			if (!list[i].f || fstat(fileno(list[i].f), &st) != 0)
				die("%s: %s", list[i].name, strerror(errno));
			list[i].off = 0;
			list[i].len = st.st_size;
			list[i].date = st.st_mtime;
		}
		pr.total_bytes += (uint64_t)list[i].len;
	}
	double last = 0;
	for (size_t i = 0; i < n; i++) {
		int r = import_one(mb, &list[i], &pr.bytes);
		if (r != STORE_OK) {
			progress_show(&pr, true);
			close_image();
			die("stopped at message %zu (%s): %s; %lu messages were imported", i + 1, list[i].name,
			    serr(r), pr.msgs);
		}
		if (!list[i].mbox)
			fclose(list[i].f);
		pr.msgs++;
		if (pr.tty && now_s() - last > 0.2) {
			progress_show(&pr, false);
			last = now_s();
		}
	}
	progress_show(&pr, true);
	close_image();
	return 0;
}

/* ---- export ---- */

static int cmd_export(int argc, char **argv)
{
	const char *mbox_file = NULL;
	if (argc < 4)
		die("usage: export IMAGE USER MAILBOX DIR | export IMAGE USER MAILBOX --mbox FILE");
	if (!strcmp(argv[3], "--mbox")) {
		if (argc < 5)
			die("export: --mbox needs a file");
		mbox_file = argv[4];
	}
	open_image(argv[0]);
	store_mbox_t mb;
	if (store_mbox_find(&store, argv[1], argv[2], &mb) != STORE_OK)
		die("no mailbox %s of user %s", argv[2], argv[1]);
	FILE *mf = NULL;
	if (mbox_file) {
		mf = fopen(mbox_file, "wb");
		if (!mf)
			die("%s: %s", mbox_file, strerror(errno));
	} else {
		char p[4096];
		mkdir(argv[3], 0700);
		for (int k = 0; k < 3; k++) {
			snprintf(p, sizeof(p), "%s/%s", argv[3], (const char *[]){ "cur", "new", "tmp" }[k]);
			if (mkdir(p, 0700) != 0 && errno != EEXIST)
				die("%s: %s", p, strerror(errno));
		}
	}
	uint32_t entries = store_msg_entries(&store, mb), count = 0;
	for (uint32_t i = 0; i < entries; i++) {
		struct store_msg m;
		struct store_msg_stat st;
		if (store_msg_get(&store, mb, i, &m) != STORE_OK || m.expunged ||
		    store_msg_stat(&store, mb, i, &st) != STORE_OK)
			continue;
		char path[4096], flags[8];
		size_t nf = 0;
		FILE *out = mf;
		if (m.flags & STORE_F_DRAFT) flags[nf++] = 'D';
		if (m.flags & STORE_F_FLAGGED) flags[nf++] = 'F';
		if (m.flags & STORE_F_ANSWERED) flags[nf++] = 'R';
		if (m.flags & STORE_F_SEEN) flags[nf++] = 'S';
		if (m.flags & STORE_F_DELETED) flags[nf++] = 'T';
		flags[nf] = '\0';
		if (mf) {
			time_t t = (time_t)st.internaldate;
			struct tm tm;
			char date[64];
			gmtime_r(&t, &tm);
			strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm);
			fprintf(mf, "From MAILER-DAEMON %s\n", date);
		} else {
			snprintf(path, sizeof(path), "%s/cur/%lld.U%lu.imapctl:2,%s", argv[3],
				 (long long)st.internaldate, (unsigned long)m.uid, flags);
			out = fopen(path, "wb");
			if (!out)
				die("%s: %s", path, strerror(errno));
		}
		char buf[65536];
		bool bol = true, cr = false;
		uint32_t off = 0;
		while (off < st.size) {
			int r = store_msg_read(&store, mb, i, off, buf, sizeof(buf));
			if (r <= 0)
				die("reading message UID %lu: %s", (unsigned long)m.uid, serr(r));
			for (int k = 0; k < r; k++) {
				char c = buf[k];
				if (cr && c != '\n')
					fputc('\r', out);   /* a lone CR stays */
				cr = c == '\r';
				if (cr)
					continue;   /* CRLF -> LF */
				if (mf && bol) {
					/* mboxrd: quote any ">*From " at a line start */
					int j = k;
					while (j < r && buf[j] == '>')
						j++;
					if (j + 5 <= r && !memcmp(buf + j, "From ", 5))
						fputc('>', mf);
				}
				fputc(c, out);
				bol = c == '\n';
			}
			off += (uint32_t)r;
		}
		if (cr)
			fputc('\r', out);
		if (mf) {
			if (!bol)
				fputc('\n', mf);
			fputc('\n', mf);
		} else {
			fclose(out);
			struct timeval tv[2] = { { (time_t)st.internaldate, 0 }, { (time_t)st.internaldate, 0 } };
			utimes(path, tv);
		}
		count++;
	}
	if (mf && fclose(mf) != 0)
		die("%s: %s", mbox_file, strerror(errno));
	close_image();
	printf("exported %lu messages\n", (unsigned long)count);
	return 0;
}

/* ---- ls, fsck, cert, acl ---- */

static int cmd_ls(int argc, char **argv)
{
	if (argc < 1)
		die("usage: ls IMAGE [USER]");
	open_image(argv[0]);
	const char *user = argc > 1 ? argv[1] : NULL;
	struct store_stats ss;
	store_get_stats(&store, &ss);
	printf("%-16s %-40s %8s %12s %8s\n", "USER", "MAILBOX", "MESSAGES", "BYTES", "UNSEEN");
	for (store_mbox_t mb = store_mbox_next(&store, user, -1); mb >= 0;
	     mb = store_mbox_next(&store, user, mb)) {
		struct store_mbox_info in;
		if (store_mbox_info(&store, mb, &in) != STORE_OK)
			continue;
		printf("%-16s %-40s %8lu %12llu %8lu%s\n", in.user, in.name, (unsigned long)in.messages,
		       (unsigned long long)in.size, (unsigned long)in.unseen,
		       (in.attrs & STORE_MB_NOSELECT) ? " (noselect)" : "");
	}
	printf("flash %llu bytes, %llu free, %lu messages in %lu mailboxes\n",
	       (unsigned long long)ss.flash_bytes, (unsigned long long)ss.free_bytes,
	       (unsigned long)ss.messages, (unsigned long)ss.mailboxes);
	printf("in use %llu of %llu bytes (the QUOTA figures, in KiB over IMAP)\n",
	       (unsigned long long)ss.live_bytes, (unsigned long long)ss.capacity_bytes);
	close_image();
	return 0;
}

static void fsck_sector(void *ctx, uint32_t sector, uint32_t live, uint32_t dead, uint32_t erases)
{
	if (*(bool *)ctx)
		printf("sector %5lu: live %8lu dead %8lu erases %lu\n", (unsigned long)sector,
		       (unsigned long)live, (unsigned long)dead, (unsigned long)erases);
}

static int cmd_fsck(int argc, char **argv)
{
	bool verbose = argc > 1 && !strcmp(argv[1], "-v");
	struct store_fsck_report rep;
	if (argc < 1)
		die("usage: fsck IMAGE [-v]");
	if (access(argv[0], R_OK) != 0)
		die("%s: %s", argv[0], strerror(errno));
	if (probe(argv[0], false) != STORE_OK) {
		/* unmountable: still report what the records say, at the default unit */
		struct stat st;
		stat(argv[0], &st);
		struct flash_geometry geo = { 4096, (uint32_t)(st.st_size / 4096), 1 };
		if (st.st_size < 4096 || flash_file_open(&image, argv[0], &geo, &dev) != 0)
			die("%s: cannot open image", argv[0]);
	}
	int r = store_fsck(dev, &rep, fsck_sector, &verbose);
	printf("%lu records, %lu bad CRC, %lu sectors, live %llu bytes, dead %llu bytes\n",
	       (unsigned long)rep.records, (unsigned long)rep.bad_crc, (unsigned long)rep.sectors,
	       (unsigned long long)rep.live_bytes, (unsigned long long)rep.dead_bytes);
	flash_file_close(&image);
	if (r != 0 || rep.bad_crc) {
		fprintf(stderr, "%s: %s: corruption found\n", prog, argv[0]);
		return 1;
	}
	printf("%s: clean\n", argv[0]);
	return 0;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		die("%s: %s", path, strerror(errno));
	static char bufs[2][65536];
	static int which;
	char *b = bufs[which++ & 1];
	size_t n = fread(b, 1, sizeof(bufs[0]) - 1, f);
	if (!feof(f))
		die("%s: larger than %zu bytes", path, sizeof(bufs[0]) - 1);
	fclose(f);
	b[n] = '\0';
	return b;
}

static int cmd_cert(int argc, char **argv)
{
	const char *cert = NULL, *key = NULL;
	if (argc < 1)
		die("usage: cert IMAGE --cert PEM --key PEM");
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--cert"))
			cert = argv[i + 1];
		else if (!strcmp(argv[i], "--key"))
			key = argv[i + 1];
		else
			die("cert: unknown option %s", argv[i]);
	}
	if (!cert || !key)
		die("usage: cert IMAGE --cert PEM --key PEM");
	char *c = slurp(cert), *k = slurp(key);
	open_image(argv[0]);
	int r = tls_install_pem(&store, c, k);
	memset(k, 0, strlen(k));
	if (r != 0)
		die("certificate not installed: %s", tls_strerror(r));
	close_image();
	printf("certificate installed; the device uses it from its next start\n");
	return 0;
}

static int cmd_acl(int argc, char **argv)
{
	if (argc < 3)
		die("usage: acl IMAGE OWNER MAILBOX [IDENT [+|-]RIGHTS | IDENT --delete]");
	open_image(argv[0]);
	store_mbox_t mb;
	struct store_mbox_info in;
	if (store_mbox_find(&store, argv[1], argv[2], &mb) != STORE_OK ||
	    store_mbox_info(&store, mb, &in) != STORE_OK)
		die("no mailbox %s of %s", argv[2], argv[1]);
	if (argc >= 5) {
		const char *rs = argv[4];
		int r;
		if (!strcmp(rs, "--delete")) {
			r = imap_acl_delete(&store, in.uidvalidity, argv[3]);
		} else {
			char mode = '=';
			uint32_t rights;
			if (*rs == '+' || *rs == '-')
				mode = *rs++;
			if (!imap_acl_parse(rs, strlen(rs), &rights))
				die("bad rights %s (letters of %s)", argv[4], ACL_CHARS);
			r = imap_acl_set(&store, in.uidvalidity, argv[3], mode, rights);
		}
		if (r != STORE_OK)
			die("acl: %s", serr(r));
	} else if (argc == 4) {
		die("acl: give RIGHTS or --delete after %s", argv[3]);
	}
	char ident[IMAPD_USER_MAX + 1], letters[16];
	uint32_t pos = 0, rights;
	printf("%s %s\n", in.user, ACL_CHARS);
	while (imap_acl_next(&store, in.uidvalidity, &pos, ident, sizeof(ident), &rights)) {
		imap_acl_format(rights, letters);
		printf("%s %s\n", ident, letters);
	}
	close_image();
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: imapctl COMMAND IMAGE ...\n"
		"  init IMAGE [--size N[KMG]] [--sector N]   create and format an image\n"
		"  useradd IMAGE NAME [--password PW]        add a user (password read from\n"
		"                                            the terminal or stdin if omitted)\n"
		"  passwd IMAGE NAME [--password PW]         change a password\n"
		"  userdel IMAGE NAME                        remove a user and its mailboxes\n"
		"  users IMAGE                               list users\n"
		"  import IMAGE USER MAILBOX PATH...         Maildir folders or mbox files\n"
		"  export IMAGE USER MAILBOX DIR             to a Maildir folder\n"
		"  export IMAGE USER MAILBOX --mbox FILE     to an mbox file (mboxrd)\n"
		"  ls IMAGE [USER]                           mailboxes, counts, sizes\n"
		"  fsck IMAGE [-v]                           check every record's CRC\n"
		"  cert IMAGE --cert PEM --key PEM           install a TLS certificate and key\n"
		"  acl IMAGE OWNER MAILBOX [IDENT RIGHTS]    show or set an access control list\n");
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 3)
		usage();
	const char *c = argv[1];
	argc -= 2;
	argv += 2;
	if (!strcmp(c, "init")) return cmd_init(argc, argv);
	if (!strcmp(c, "useradd")) return cmd_useradd(argc, argv, false);
	if (!strcmp(c, "passwd")) return cmd_useradd(argc, argv, true);
	if (!strcmp(c, "userdel")) return cmd_userdel(argc, argv);
	if (!strcmp(c, "users")) return cmd_users(argc, argv);
	if (!strcmp(c, "import")) return cmd_import(argc, argv);
	if (!strcmp(c, "export")) return cmd_export(argc, argv);
	if (!strcmp(c, "ls")) return cmd_ls(argc, argv);
	if (!strcmp(c, "fsck")) return cmd_fsck(argc, argv);
	if (!strcmp(c, "cert")) return cmd_cert(argc, argv);
	if (!strcmp(c, "acl")) return cmd_acl(argc, argv);
	usage();
}
