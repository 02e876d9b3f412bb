/*
 * conn.h - one non-blocking IMAP client connection of the load generator.
 *
 * At most one command is outstanding per connection (no pipelining, so the
 * latency of a command is the server's, not the queue's). The connection
 * parses only what the load needs: the greeting, tagged completions,
 * continuation requests, and the untagged EXISTS / EXPUNGE / FETCH /
 * SEARCH / BYE responses; literals in responses are counted and skipped
 * without buffering, so a 20 MiB FETCH costs no memory.
 */
#ifndef LG_CONN_H
#define LG_CONN_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lg_cmd {
	LG_CONNECT,       /* connect() to greeting */
	LG_LOGIN,
	LG_SELECT,
	LG_FETCH_FLAGS,
	LG_FETCH_HEADER,
	LG_FETCH_BODY,
	LG_FETCH_PARTIAL,
	LG_APPEND,
	LG_STORE,
	LG_SEARCH,
	LG_EXPUNGE,
	LG_NOOP,
	LG_LOGOUT,
	LG_NCMD,
};
extern const char *const lg_cmd_name[LG_NCMD];

enum lg_result { LG_OK, LG_NO, LG_BAD, LG_BYE };

/* What lg_conn_io reports. */
enum lg_event {
	LG_EV_NONE,       /* nothing finished yet */
	LG_EV_DONE,       /* greeting received or the command completed: see result */
	LG_EV_CLOSED,     /* the server closed or the connection failed */
};

struct lg_seg { const char *p; size_t len; };

struct lg_conn {
	int fd;
	bool busy;                 /* greeting or a command outstanding */
	enum lg_cmd cmd;
	enum lg_result result;
	double t0;                 /* when the command was sent (s, monotonic) */
	unsigned tagn;
	char tag[16];

	/* input: lines are parsed in place, literals skipped */
	char *in;
	size_t in_len, in_pos, in_cap;
	uint64_t lit_left;
	bool cont;                 /* the next line continues a response after a literal */

	/* output: the command line, then (after "+") the literal and CRLF */
	char line[1024];
	size_t line_len;           /* the command line, CRLF included */
	struct lg_seg seg[3];
	int nseg;
	const char *lit;
	size_t lit_len;

	/* what the server told us */
	uint32_t exists;
	uint32_t fetches;          /* "* n FETCH" responses of the current command */
	uint32_t search_hits;      /* numbers in "* SEARCH" of the current command */
	uint64_t lit_bytes;        /* literal bytes of the current command */
	bool bye;
	char status[160];          /* the tagged completion line, for error reports */
};

double lg_now(void);

/* Start a non-blocking connect; the greeting completes it (LG_CONNECT). */
int lg_conn_open(struct lg_conn *c, const struct sockaddr_in *addr);
void lg_conn_close(struct lg_conn *c);
/* Close and release the input buffer (a closed connection keeps it for reuse). */
void lg_conn_free(struct lg_conn *c);
/* Send "tag <text>\r\n"; with lit, the text must end in "{n}" and lit goes
 * out after the server's continuation request. */
void lg_conn_cmd(struct lg_conn *c, enum lg_cmd cmd, const char *lit, size_t lit_len,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* poll() events this connection waits for. */
short lg_conn_events(const struct lg_conn *c);
/* Do I/O for revents (0: only parse what is buffered). Call again after
 * LG_EV_DONE until LG_EV_NONE: more input may be buffered. */
enum lg_event lg_conn_io(struct lg_conn *c, short revents);

#endif
