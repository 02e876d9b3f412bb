/* test_mime.c - MIME parser, blob view, sections, ENVELOPE/BODYSTRUCTURE
 * renderers and the HEADER.FIELDS filter. Expected strings are Dovecot
 * 2.3.19's answers for the same messages. */
#include "mime.h"
#include "mime_hdr_filter.h"
#include "mime_render.h"
#include "unit.h"

#include <stdint.h>
#include <stdlib.h>

static const char *msg;
static uint32_t msg_len;
static struct mime_work work;
static uint8_t blob[MIME_BLOB_MAX];
static struct mime_view view;
static char out[1 << 17];

static int mem_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
	(void)ctx;
	if (off >= msg_len)
		return 0;
	if (len > msg_len - off)
		len = msg_len - off;
	memcpy(buf, msg + off, len);
	return (int)len;
}

/* Parse m fed in chunks of `chunk` bytes into a blob of capacity cap. */
static uint32_t parse_into(uint8_t *b, const char *m, uint32_t len, size_t chunk, uint32_t cap)
{
	static struct mime_parser p;
	mime_parse_init(&p, b, cap, 0);
	for (uint32_t off = 0; off < len; off += (uint32_t)chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		mime_parse_feed(&p, m + off, n);
	}
	return mime_parse_finish(&p);
}

static int load(const char *m, size_t len, size_t chunk, uint32_t cap)
{
	msg = m;
	msg_len = (uint32_t)len;
	view.blob = blob;
	view.blob_len = parse_into(blob, m, msg_len, chunk, cap);
	view.msg_size = msg_len;
	view.read = mem_read;
	view.read_ctx = NULL;
	view.work = &work;
	return mime_view_check(&view);
}

#define LOAD(m) load((m), sizeof(m) - 1, 4096, MIME_BLOB_MAX)

/* Render with an output buffer of cap bytes, piece by piece. */
static const char *render(enum mime_item item, size_t cap)
{
	static char piece[1 << 17];
	uint32_t skip = 0;
	size_t n;
	int r;

	do {
		r = mime_render(&view, 0, item, skip, piece, cap, &n);
		if (r < 0 || skip + n >= sizeof(out))
			return "<error>";
		memcpy(out + skip, piece, n);
		skip += (uint32_t)n;
	} while (r == 0);
	out[skip] = 0;
	return out;
}

static const char *section(const uint32_t *path, unsigned n, enum mime_sect s)
{
	struct mime_range r;
	int err = mime_section(&view, path, n, s, &r);
	if (err == MIME_ENOPART)
		return "<none>";
	if (err)
		return "<error>";
	memcpy(out, msg + r.off, r.len);
	out[r.len] = 0;
	return out;
}

static const char m_simple[] = "From: A <a@b.c>\r\nSubject: hi\r\n\r\nhello\r\nworld";

static const char m_nested[] =
	"Subject: outer\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
	"--b1\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\nFrom: x@y\r\n"
	"Content-Type: multipart/alternative; boundary=b2\r\n\r\n--b2\r\n\r\nt1\r\n--b2\r\n"
	"Content-Type: text/html\r\n\r\n<b>\r\n--b2--\r\n\r\n--b1\r\n"
	"Content-Type: message/rfc822\r\n\r\nSubject: inner2\r\n\r\nbody2\r\n--b1--\r\n";

static const char m_addr[] =
	"From: \"Joe Q. Public\" <john.q.public@example.com>, undisclosed-recipients:;, "
	"Mary Smith <@route,@r2:mary@x.test>, jdoe@one.test, foo, (comment) bar@baz (Bar Comment)\r\n"
	"To: A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;, "
	"Marie =?utf-8?q?M=C3=BCller?= <m@x>\r\nCc: \r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n"
	"Message-ID:   <abc@def>  \r\nIn-Reply-To: <x@y> <z@w>\r\n"
	"Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nSender: \"a\\\"b\" <s@s>\r\nReply-To: <>\r\n"
	"Bcc: \"\" <q@q>\r\n\r\nbody\r\n";

static const char m_fields[] =
	"Content-Type: TEXT/Html; Name=\"a b\"; CHARSET=utf-8\r\n"
	"Content-Transfer-Encoding: Base64\r\nContent-Language: en, de\r\n"
	"Content-Disposition: attachment; filename=\"x.txt\"\r\nContent-ID: <id@x>\r\n"
	"Content-Description: desc \"q\" \\\\ \r\nContent-MD5: abc\r\n"
	"Content-Location: http://x/\r\n\r\naGVsbG8=\r\n";

static const char m_digest[] =
	"Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: dig\r\n\r\nhi\r\n"
	"--d\r\nContent-Type: text/plain\r\n\r\nplain\r\n--d--\r\n";

static const char m_top822[] = "Content-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\nbody\r\n";

static const char m_noboundary[] = "Content-Type: multipart/mixed\r\n\r\n--XX\r\n\r\nhello\r\n";

static const char m_unterminated[] =
	"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n"
	"Content-Type: text/plain\r\n--XX\r\n\r\nB\r\n--XX--\r\n";

static const char m_empty_part[] =
	"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n\r\n--XX\r\n\r\nB\r\n--XX--\r\n";

static const char m_folded[] = "Subject: a\r\n  folded\r\n\tline  \r\nFrom: x\r\n\r\n";

static const char m_dups[] =
	"Subject: first\r\nSubject: second\r\nContent-Type: text/plain; charset=a\r\n"
	"Content-Type: text/html\r\nFrom: a@b\r\nFrom: c@d\r\n\r\nx\r\n";

static const char *const corpus[] = { m_simple, m_nested, m_addr, m_fields, m_digest, m_top822,
				      m_noboundary, m_unterminated, m_empty_part, m_folded,
				      m_dups };

TEST(simple)
{
	CHECK_EQ_INT(LOAD(m_simple), MIME_OK);
	CHECK(mime_blob_complete(view.blob, view.blob_len));
	CHECK_EQ_STR(render(MIME_ITEM_ENVELOPE, 4096),
		     "(NIL \"hi\" ((\"A\" NIL \"a\" \"b.c\")) ((\"A\" NIL \"a\" \"b.c\")) "
		     "((\"A\" NIL \"a\" \"b.c\")) NIL NIL NIL NIL NIL)");
	CHECK_EQ_STR(render(MIME_ITEM_BODYSTRUCTURE, 4096),
		     "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 12 1 NIL NIL "
		     "NIL NIL)");
	CHECK_EQ_STR(render(MIME_ITEM_BODY, 4096),
		     "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 12 1)");
}

TEST(nested_rfc822)
{
	CHECK_EQ_INT(LOAD(m_nested), MIME_OK);
	CHECK_EQ_STR(render(MIME_ITEM_BODYSTRUCTURE, 4096),
		     "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 137 (NIL \"inner\" ((NIL NIL \"x\" "
		     "\"y\")) ((NIL NIL \"x\" \"y\")) ((NIL NIL \"x\" \"y\")) NIL NIL NIL NIL NIL) "
		     "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 2 0 NIL NIL NIL "
		     "NIL)(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 0 NIL NIL "
		     "NIL NIL) \"alternative\" (\"boundary\" \"b2\") NIL NIL NIL) 12 NIL NIL NIL NIL)"
		     "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 24 (NIL \"inner2\" NIL NIL NIL NIL "
		     "NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" "
		     "5 0 NIL NIL NIL NIL) 2 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"b1\") NIL NIL "
		     "NIL)");
}

TEST(addresses)
{
	CHECK_EQ_INT(LOAD(m_addr), MIME_OK);
	CHECK_EQ_STR(render(MIME_ITEM_ENVELOPE, 4096),
		     "(\"Mon, 1 Jan 2024 00:00:00 +0000\" \"=?utf-8?q?caf=C3=A9?=\" ((\"Joe Q. Public\" "
		     "NIL \"john.q.public\" \"example.com\")(NIL NIL \"undisclosed-recipients\" NIL)"
		     "(NIL NIL NIL NIL)(\"Mary Smith\" \"@route,@r2\" \"mary\" \"x.test\")(NIL NIL "
		     "\"jdoe\" \"one.test\")(NIL NIL \"foo\" \"MISSING_DOMAIN\")(\"Bar Comment\" NIL "
		     "\"bar\" \"baz\")) (({3}\r\na\"b NIL \"s\" \"s\")) ((NIL NIL \"MISSING_MAILBOX\" "
		     "\"MISSING_DOMAIN\")) ((NIL NIL \"A Group\" NIL)(\"Ed Jones\" NIL \"c\" "
		     "\"a.test\")(NIL NIL \"joe\" \"where.test\")(\"John\" NIL \"jdoe\" \"one.test\")"
		     "(NIL NIL NIL NIL)(\"Marie =?utf-8?q?M=C3=BCller?=\" NIL \"m\" \"x\")) NIL ((NIL "
		     "NIL \"q\" \"q\")) \"<x@y> <z@w>\" \"<abc@def>  \")");
}

TEST(content_fields)
{
	struct mime_part p;
	CHECK_EQ_INT(LOAD(m_fields), MIME_OK);
	CHECK_EQ_STR(render(MIME_ITEM_BODYSTRUCTURE, 4096),
		     "(\"TEXT\" \"Html\" (\"Name\" \"a b\" \"CHARSET\" \"utf-8\") \"<id@x>\" "
		     "\"desc \\\"q\\\" \\\\\\\\ \" \"Base64\" 10 1 \"abc\" (\"attachment\" "
		     "(\"filename\" \"x.txt\")) (\"en\" \"de\") \"http://x/\")");
	CHECK_EQ_INT(mime_part_get(&view, 0, &p), MIME_OK);
	CHECK_EQ_INT(p.enc, MIME_ENC_BASE64);
}

/* RFC 2231: plain parameters first, then merged sections by key. */
TEST(rfc2231_parameters)
{
	static const char m[] =
		"Content-Type: application/x; key4*=us-ascii''foo; key*2=ba%; key2*0=a; "
		"key3*0*=us-ascii'en'xyz; key*0=\"foo\"; key2*1*=b%25; key3*1=plop%; key*1=baz; "
		"plain=1\r\n\r\n";
	CHECK_EQ_INT(LOAD(m), MIME_OK);
	CHECK_EQ_STR(render(MIME_ITEM_BODY, 7),
		     "(\"application\" \"x\" (\"plain\" \"1\" \"key\" \"foobazba%\" \"key2*\" "
		     "\"''ab%25\" \"key3*\" \"us-ascii'en'xyzplop%25\" \"key4*\" \"us-ascii''foo\") "
		     "NIL NIL \"7bit\" 0)");
}

TEST(digest_and_defaults)
{
	CHECK_EQ_INT(LOAD(m_digest), MIME_OK);
	CHECK_EQ_STR(render(MIME_ITEM_BODYSTRUCTURE, 4096),
		     "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 18 (NIL \"dig\" NIL NIL NIL NIL NIL "
		     "NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 2 0 "
		     "NIL NIL NIL NIL) 2 NIL NIL NIL NIL)(\"text\" \"plain\" (\"charset\" \"us-ascii\") "
		     "NIL NIL \"7bit\" 5 0 NIL NIL NIL NIL) \"digest\" (\"boundary\" \"d\") NIL NIL "
		     "NIL)");
	CHECK_EQ_INT(LOAD(m_noboundary), MIME_OK);
	CHECK_EQ_STR(render(MIME_ITEM_BODYSTRUCTURE, 4096),
		     "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL "
		     "NIL) \"mixed\" NIL NIL NIL NIL)");
}

TEST(folded_and_duplicate_headers)
{
	CHECK_EQ_INT(LOAD(m_folded), MIME_OK);
	CHECK_EQ_STR(render(MIME_ITEM_ENVELOPE, 4096),
		     "(NIL {13}\r\na folded line ((NIL NIL \"x\" \"MISSING_DOMAIN\")) ((NIL NIL \"x\" "
		     "\"MISSING_DOMAIN\")) ((NIL NIL \"x\" \"MISSING_DOMAIN\")) NIL NIL NIL NIL NIL)");
	CHECK_EQ_INT(LOAD(m_dups), MIME_OK);
	CHECK_EQ_STR(render(MIME_ITEM_ENVELOPE, 4096),
		     "(NIL \"second\" ((NIL NIL \"a\" \"b\")(NIL NIL \"c\" \"d\")) ((NIL NIL \"a\" "
		     "\"b\")(NIL NIL \"c\" \"d\")) ((NIL NIL \"a\" \"b\")(NIL NIL \"c\" \"d\")) NIL NIL "
		     "NIL NIL NIL)");
	CHECK_EQ_STR(render(MIME_ITEM_BODY, 4096),
		     "(\"text\" \"plain\" (\"charset\" \"a\") NIL NIL \"7bit\" 3 1)");
}

/* Content-* fields of a message without MIME-Version or Content-Type are
 * ignored; an encoded message/rfc822 is not parsed (Dovecot). */
TEST(non_mime_and_encoded_rfc822)
{
	static const char plain[] = "Content-ID: <a>\r\nContent-Transfer-Encoding: base64\r\n"
				    "Subject: s\r\n\r\nx\r\n";
	static const char versioned[] = "Content-ID: <a>\r\nMIME-Version: 1.0\r\n\r\nx\r\n";
	static const char enc[] = "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: "
				  "base64\r\n\r\nU3ViamVjdDogeA0KDQo=\r\n";
	struct mime_part p;

	CHECK_EQ_INT(LOAD(plain), MIME_OK);
	CHECK_EQ_STR(render(MIME_ITEM_BODY, 4096),
		     "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1)");
	CHECK_EQ_INT(mime_part_get(&view, 0, &p), MIME_OK);
	CHECK_EQ_INT(p.enc, MIME_ENC_7BIT);
	CHECK(strstr(render(MIME_ITEM_ENVELOPE, 4096), "\"s\"") != NULL);
	CHECK_EQ_INT(LOAD(versioned), MIME_OK);
	CHECK_EQ_STR(render(MIME_ITEM_BODY, 4096),
		     "(\"text\" \"plain\" (\"charset\" \"us-ascii\") \"<a>\" NIL \"7bit\" 3 1)");
	CHECK_EQ_INT(LOAD(enc), MIME_OK);
	CHECK_EQ_STR(render(MIME_ITEM_BODY, 4096),
		     "(\"message\" \"rfc822\" NIL NIL NIL \"base64\" 22 (NIL NIL NIL NIL NIL NIL NIL "
		     "NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0) "
		     "1)");
}

TEST(sections)
{
	static const uint32_t p1[] = { 1 }, p2[] = { 2 }, p11[] = { 1, 1 }, p111[] = { 1, 1, 1 },
			      p3[] = { 3 };

	CHECK_EQ_INT(LOAD(m_nested), MIME_OK);
	CHECK_EQ_STR(section(p2, 1, MIME_SECT_ALL), "Subject: inner2\r\n\r\nbody2");
	CHECK_EQ_STR(section(p2, 1, MIME_SECT_MIME), "Content-Type: message/rfc822\r\n\r\n");
	CHECK_EQ_STR(section(p2, 1, MIME_SECT_HEADER), "Subject: inner2\r\n\r\n");
	CHECK_EQ_STR(section(p2, 1, MIME_SECT_TEXT), "body2");
	CHECK_EQ_STR(section(p11, 2, MIME_SECT_ALL), "t1");
	CHECK_EQ_STR(section(p111, 3, MIME_SECT_ALL), "t1");
	CHECK_EQ_STR(section(p11, 2, MIME_SECT_MIME), "\r\n");
	CHECK_EQ_STR(section(p3, 1, MIME_SECT_ALL), "<none>");
	CHECK_EQ_STR(section(NULL, 0, MIME_SECT_HEADER),
		     "Subject: outer\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n");
	CHECK_EQ_INT(mime_section(&view, NULL, 0, MIME_SECT_MIME, &(struct mime_range){ 0 }),
		     MIME_EINVAL);

	CHECK_EQ_INT(LOAD(m_simple), MIME_OK);
	CHECK_EQ_STR(section(p1, 1, MIME_SECT_ALL), "hello\r\nworld");
	CHECK_EQ_STR(section(p1, 1, MIME_SECT_MIME), "From: A <a@b.c>\r\nSubject: hi\r\n\r\n");
	CHECK_EQ_STR(section(p1, 1, MIME_SECT_HEADER), "<none>");
	CHECK_EQ_STR(section(p11, 2, MIME_SECT_ALL), "<none>");
	CHECK_EQ_STR(section(NULL, 0, MIME_SECT_ALL), m_simple);

	CHECK_EQ_INT(LOAD(m_top822), MIME_OK);
	CHECK_EQ_STR(section(p1, 1, MIME_SECT_HEADER), "Subject: in\r\n\r\n");
	CHECK_EQ_STR(section(p11, 2, MIME_SECT_ALL), "body\r\n");
	CHECK_EQ_STR(section(p11, 2, MIME_SECT_MIME), "Subject: in\r\n\r\n");
	CHECK_EQ_STR(section(p111, 3, MIME_SECT_ALL), "<none>");

	CHECK_EQ_INT(LOAD(m_unterminated), MIME_OK);
	CHECK_EQ_STR(section(p1, 1, MIME_SECT_MIME), "Content-Type: text/plain");
	CHECK_EQ_STR(section(p1, 1, MIME_SECT_ALL), "");
	CHECK_EQ_INT(LOAD(m_empty_part), MIME_OK);
	CHECK_EQ_STR(section(p1, 1, MIME_SECT_MIME), "");
	CHECK_EQ_STR(section(p2, 1, MIME_SECT_ALL), "B");
}

/* Chunking must not change the blob; a small output buffer must not
 * change the rendering. */
TEST(streaming_invariance)
{
	static uint8_t b1[MIME_BLOB_MAX], b2[MIME_BLOB_MAX];
	static char whole[8192];
	static const size_t chunks[] = { 1, 2, 3, 7, 64 };
	static const size_t caps[] = { 1, 2, 5, 61 };

	for (size_t i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++) {
		uint32_t len = (uint32_t)strlen(corpus[i]);
		uint32_t n1 = parse_into(b1, corpus[i], len, len ? len : 1, MIME_BLOB_MAX);
		for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
			uint32_t n2 = parse_into(b2, corpus[i], len, chunks[c], MIME_BLOB_MAX);
			CHECK_EQ_INT(n2, n1);
			CHECK_EQ_MEM(b1, b2, n1);
		}
		CHECK_EQ_INT(load(corpus[i], len, 4096, MIME_BLOB_MAX), MIME_OK);
		for (int item = 0; item < 3; item++) {
			strcpy(whole, render((enum mime_item)item, 4096));
			for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++)
				CHECK_EQ_STR(render((enum mime_item)item, caps[c]), whole);
		}
	}
}

/* Build a multipart with n text parts into buf. */
static size_t many_parts(char *buf, size_t cap, int n)
{
	size_t len = (size_t)snprintf(buf, cap,
				      "Subject: many\r\nContent-Type: multipart/mixed; boundary=P\r\n\r\n");
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, cap - len,
					"--P\r\nContent-Type: text/plain; name=\"part%d.txt\"\r\n\r\n"
					"body %d\r\n", i, i);
	len += (size_t)snprintf(buf + len, cap - len, "--P--\r\n");
	return len;
}

/* A structure larger than the blob: the view re-parses through the read
 * callback and answers exactly what it would with an unbounded blob. */
TEST(truncated_blob_fallback)
{
	static char m[40000], full[40000];
	static uint32_t path[1];
	size_t len = many_parts(m, sizeof(m), 300), pos;
	struct mime_part p;

	CHECK_EQ_INT(load(m, len, 4096, MIME_BLOB_MAX), MIME_OK);
	CHECK(!mime_blob_complete(view.blob, view.blob_len));
	strcpy(full, render(MIME_ITEM_BODYSTRUCTURE, 4096));
	/* expected: 300 identical leaves but for the names and sizes */
	pos = 0;
	CHECK(full[0] == '(');
	for (int i = 0; i < 300; i++) {
		char leaf[200];
		snprintf(leaf, sizeof(leaf),
			 "(\"text\" \"plain\" (\"name\" \"part%d.txt\" \"charset\" \"us-ascii\") NIL "
			 "NIL \"7bit\" %d 0 NIL NIL NIL NIL)",
			 i, 6 + (i >= 10) + (i >= 100));
		CHECK(strncmp(full + 1 + pos, leaf, strlen(leaf)) == 0);
		pos += strlen(leaf);
	}
	CHECK_EQ_STR(full + 1 + pos, " \"mixed\" (\"boundary\" \"P\") NIL NIL NIL)");
	/* tiny blobs and a tiny output buffer give the same answer */
	CHECK_EQ_INT(load(m, len, 4096, 300), MIME_OK);
	CHECK_EQ_STR(render(MIME_ITEM_BODYSTRUCTURE, 97), full);
	CHECK_EQ_INT(load(m, len, 1, 8), MIME_OK);
	CHECK_EQ_STR(render(MIME_ITEM_BODYSTRUCTURE, 4096), full);
	path[0] = 250;
	CHECK_EQ_STR(section(path, 1, MIME_SECT_ALL), "body 249");
	CHECK_EQ_INT(mime_part_find(&view, path, 1, &p), MIME_OK);
	CHECK_EQ_INT(p.index, 250);
	path[0] = 301;
	CHECK_EQ_STR(section(path, 1, MIME_SECT_ALL), "<none>");
	/* without a read callback a truncated view fails cleanly */
	view.read = NULL;
	CHECK_EQ_INT(mime_view_check(&view), MIME_OK);
	CHECK(mime_part_get(&view, 299, &p) == MIME_EIO);
}

/* A nested random structure (multiparts, message/rfc822, unterminated
 * parts), deterministic from seed. */
static unsigned gen_seed;
static unsigned gen_rand(unsigned n)
{
	gen_seed = gen_seed * 1103515245u + 12345u;
	return (gen_seed >> 16) % n;
}

static size_t gen_part(char *b, size_t cap, size_t len, int depth)
{
	unsigned r = gen_rand(10);
	if (depth == 0 || (depth < 4 && r < 3)) {
		char bnd[16];
		int n = depth == 0 ? 20 + (int)gen_rand(60) : 1 + (int)gen_rand(9);
		snprintf(bnd, sizeof(bnd), "b%dx%u", depth, gen_rand(1000));
		len += (size_t)snprintf(b + len, cap - len,
					"Content-Type: multipart/%s; boundary=\"%s\"\r\n\r\npre\r\n",
					gen_rand(4) ? "mixed" : "digest", bnd);
		for (int i = 0; i < n && len + 4096 < cap; i++) {
			len += (size_t)snprintf(b + len, cap - len, "--%s\r\n", bnd);
			len = gen_part(b, cap, len, depth + 1);
		}
		if (gen_rand(8))   /* sometimes never closed */
			len += (size_t)snprintf(b + len, cap - len, "--%s--\r\nepilogue\r\n", bnd);
	} else if (depth < 4 && r == 3) {
		len += (size_t)snprintf(b + len, cap - len,
					"Content-Type: message/rfc822\r\n\r\nSubject: inner %u\r\n",
					gen_rand(100));
		len = gen_part(b, cap, len, depth + 1);
	} else {
		int lines = (int)gen_rand(6);
		len += (size_t)snprintf(b + len, cap - len,
					"Content-Type: text/plain; name=\"p%u\"\r\n%s\r\n",
					gen_rand(100000), gen_rand(3) ? "" : "Content-Transfer-Encoding: base64\r\n");
		for (int i = 0; i < lines; i++)
			len += (size_t)snprintf(b + len, cap - len, "line %d of %u\r\n", i, gen_rand(999));
	}
	return len;
}

static int part_and_type(uint16_t i, struct mime_part *p, char *ct, uint32_t cap)
{
	uint32_t n = 0;
	int err = mime_part_get(&view, i, p);
	if (err)
		return err;
	ct[0] = 0;
	if (mime_field_get(&view, p, MIME_F_CTYPE, ct, cap - 1, &n) > 0)
		ct[n < cap - 1 ? n : cap - 1] = 0;
	return MIME_OK;
}

/* Windows resumed from an earlier pass give exactly what a pass from byte 0
 * gives, for every part, whatever order the parts are asked in. */
TEST(resumed_windows_match_fresh_parse)
{
	static char m[400000];
	static struct mime_part ref[2000];
	static char ref_ct[2000][64];
	int checked = 0;

	for (unsigned seed = 1; seed <= 12; seed++) {
		gen_seed = seed;
		size_t len = (size_t)snprintf(m, sizeof(m), "Subject: gen %u\r\n", seed);
		len = gen_part(m, sizeof(m), len, 0);
		CHECK_EQ_INT(load(m, len, 4096, 512), MIME_OK);
		uint16_t total = (uint16_t)(view.blob[6] | view.blob[7] << 8);
		if (total > 2000)
			total = 2000;
		/* reference: a fresh work area (no window, nothing to resume) each time */
		for (uint16_t i = 0; i < total; i++) {
			mime_work_forget(&work);
			CHECK_EQ_INT(part_and_type(i, &ref[i], ref_ct[i], 64), MIME_OK);
		}
		for (int order = 0; order < 3; order++) {
			mime_work_forget(&work);
			for (uint16_t k = 0; k < total; k++) {
				uint16_t i = order == 0 ? k : order == 1 ? (uint16_t)(total - 1 - k)
									 : (uint16_t)gen_rand(total);
				struct mime_part p;
				char ct[64];
				CHECK_EQ_INT(part_and_type(i, &p, ct, sizeof(ct)), MIME_OK);
				if (p.index != ref[i].index || p.depth != ref[i].depth ||
				    p.kind != ref[i].kind || p.enc != ref[i].enc ||
				    p.hdr_off != ref[i].hdr_off || p.body_off != ref[i].body_off ||
				    p.end_off != ref[i].end_off || p.body_lines != ref[i].body_lines ||
				    strcmp(ct, ref_ct[i]) != 0) {
					CHECK(!"part differs from a fresh parse");
					printf("  seed %u order %d part %u\n", seed, order, i);
					return;
				}
				checked++;
			}
		}
	}
	printf("  %d part lookups compared\n", checked);
	CHECK(checked > 3000);
}

/* BODY and BODYSTRUCTURE of the same random structures come out the same
 * in one piece from a blob that holds every record, and in small pieces of
 * several sizes from a blob that holds few (windows, and the renderer's
 * shortcut to the root child where the last piece stopped). */
TEST(structures_in_pieces_match_whole)
{
	static char m[400000], whole[1 << 17];

	for (unsigned seed = 20; seed <= 27; seed++) {
		gen_seed = seed;
		size_t len = (size_t)snprintf(m, sizeof(m), "Subject: gen %u\r\n", seed);
		len = gen_part(m, sizeof(m), len, 0);
		for (int item = MIME_ITEM_BODY; item <= MIME_ITEM_BODYSTRUCTURE; item++) {
			CHECK_EQ_INT(load(m, len, 4096, MIME_BLOB_MAX), MIME_OK);
			strcpy(whole, render((enum mime_item)item, sizeof(out) - 1));
			CHECK(strcmp(whole, "<error>") != 0 && whole[0] == '(');
			static const size_t pieces[] = { 4096, 333, 61 };
			for (unsigned k = 0; k < 3; k++) {
				CHECK_EQ_INT(load(m, len, 4096, 256 + 512 * k), MIME_OK);
				if (strcmp(render((enum mime_item)item, pieces[k]), whole) != 0) {
					CHECK(!"pieces differ from the whole");
					printf("  seed %u item %d pieces %zu\n", seed, item, pieces[k]);
					return;
				}
			}
		}
	}
}

/* Values beyond MIME_VALUE_INLINE_MAX are kept by reference. */
TEST(long_header_by_reference)
{
	static char m[20000], expect[20000];
	size_t len = 0;
	const char *r;

	len += (size_t)sprintf(m, "Subject: ");
	for (int i = 0; i < 1200; i++)
		len += (size_t)sprintf(m + len, "word ");
	len += (size_t)sprintf(m + len, "\r\nFrom: a@b\r\n\r\nbody\r\n");
	CHECK_EQ_INT(load(m, len, 13, MIME_BLOB_MAX), MIME_OK);
	CHECK(view.blob_len < 600);
	r = render(MIME_ITEM_ENVELOPE, 100);
	/* trailing space: "for humans" makes it a literal without it */
	sprintf(expect, "(NIL {5999}\r\n");
	CHECK(strncmp(r, expect, strlen(expect)) == 0);
	CHECK(strncmp(r + strlen(expect) + 5995, "word ((NIL NIL \"a\" \"b\"))", 24) == 0);
}

static uint32_t gen_len;
static const char *gen_head = "Subject: big\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
			      "--B\r\n\r\nsee\r\n--B\r\nContent-Transfer-Encoding: base64\r\n\r\n";

/* 20 MB: 76-char base64 lines generated on the fly, never held. */
TEST(attachment_20mb)
{
	static struct mime_parser p;
	static char line[80];
	uint32_t head = (uint32_t)strlen(gen_head), lines = 20u * 1024 * 1024 / 78;
	struct mime_part part;

	CHECK(sizeof(struct mime_parser) <= 1536);
	memset(line, 'Q', 76);
	line[76] = '\r';
	line[77] = '\n';
	mime_parse_init(&p, blob, MIME_BLOB_MAX, 0);
	mime_parse_feed(&p, gen_head, head);
	for (uint32_t i = 0; i < lines; i++)
		mime_parse_feed(&p, line, 78);
	mime_parse_feed(&p, "--B--\r\n", 7);
	gen_len = head + lines * 78 + 7;
	view.blob = blob;
	view.blob_len = mime_parse_finish(&p);
	view.msg_size = gen_len;
	view.read = NULL;
	CHECK_EQ_INT(mime_view_check(&view), MIME_OK);
	CHECK_EQ_INT(mime_part_get(&view, 2, &part), MIME_OK);
	CHECK_EQ_INT(part.body_off, head);
	CHECK_EQ_INT(part.end_off - part.body_off, lines * 78 - 2);
	CHECK_EQ_INT(part.body_lines, lines - 1);
	CHECK_EQ_INT(part.enc, MIME_ENC_BASE64);
}

/* Deeper than the parser's bounds, random bytes, empty input: the blob is
 * always valid and every renderer completes. */
TEST(hostile_input)
{
	static char m[60000];
	size_t len = 0;
	uint32_t seed = 12345;

	for (int i = 0; i < 40; i++)
		len += (size_t)sprintf(m + len,
				       "Content-Type: multipart/mixed; boundary=d%d\r\n\r\n--d%d\r\n", i,
				       i);
	len += (size_t)sprintf(m + len, "Content-Type: message/rfc822\r\n\r\n");
	for (int i = 0; i < 40; i++)
		len += (size_t)sprintf(m + len, "Content-Type: message/rfc822\r\n\r\n");
	CHECK_EQ_INT(load(m, len, 4096, MIME_BLOB_MAX), MIME_OK);
	for (int item = 0; item < 3; item++)
		CHECK(strcmp(render((enum mime_item)item, 4096), "<error>") != 0);

	for (int round = 0; round < 200; round++) {
		len = 0;
		for (int i = 0; i < 3000; i++) {
			static const char alphabet[] = "\r\n:;=\"()<>@,.-\\ \tabcdeXYZ\x80\xff\x00?";
			seed = seed * 1103515245u + 12345u;
			m[len++] = (seed >> 16) % 7 == 0 ? "--b\r\n"[(seed >> 8) % 5]
							 : alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		memcpy(m, "Content-Type: multipart/mixed; boundary=b\r\n", 43);
		CHECK_EQ_INT(load(m, len, 1 + round % 5, round % 2 ? MIME_BLOB_MAX : 200), MIME_OK);
		for (int item = 0; item < 3; item++)
			CHECK(strcmp(render((enum mime_item)item, 1 + round % 50), "<error>") != 0);
	}
	CHECK_EQ_INT(load("", 0, 1, MIME_BLOB_MAX), MIME_OK);
	CHECK_EQ_STR(render(MIME_ITEM_BODY, 4096),
		     "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0)");
}

TEST(blob_validation)
{
	CHECK_EQ_INT(LOAD(m_nested), MIME_OK);
	blob[0] = MIME_BLOB_VERSION + 1;
	CHECK_EQ_INT(mime_view_check(&view), MIME_EBLOB);
	blob[0] = MIME_BLOB_VERSION;
	view.blob_len -= 3;
	CHECK_EQ_INT(mime_view_check(&view), MIME_EBLOB);
	view.blob_len = 4;
	CHECK_EQ_INT(mime_view_check(&view), MIME_EBLOB);
}

static const char *filter(const char *hdr, const char *const *names, unsigned n, bool neg,
			  size_t chunk)
{
	static struct mime_hdr_name nm[8];
	struct mime_hdr_filter f;
	size_t len = strlen(hdr), o = 0, counted = 0;

	for (unsigned i = 0; i < n; i++) {
		nm[i].s = names[i];
		nm[i].len = strlen(names[i]);
	}
	CHECK(mime_hdr_filter_init(&f, nm, n, neg));
	for (size_t off = 0; off < len; off += chunk) {
		size_t k = len - off < chunk ? len - off : chunk;
		o += mime_hdr_filter_feed(&f, hdr + off, k, out + o);
	}
	o += mime_hdr_filter_end(&f, out + o);
	out[o] = 0;
	/* a counting pass gives the same length */
	CHECK(mime_hdr_filter_init(&f, nm, n, neg));
	counted = mime_hdr_filter_feed(&f, hdr, len, NULL);
	counted += mime_hdr_filter_end(&f, NULL);
	CHECK_EQ_INT(counted, o);
	return out;
}

TEST(header_filter)
{
	static const char hdr[] = "From: A <a@b.c>\r\nSubject: hi\r\n there\r\nSubject : spaced\r\n"
				  "X-Subject: no\r\nNoColon\r\n\r\nbody: not a header\r\n";
	static const char *const subj[] = { "SUBJECT", "from" };
	static const char *const none[] = { "x-none" };

	for (size_t chunk = 1; chunk < 8; chunk += 3) {
		CHECK_EQ_STR(filter(hdr, subj, 2, false, chunk),
			     "From: A <a@b.c>\r\nSubject: hi\r\n there\r\nSubject : spaced\r\n\r\n");
		CHECK_EQ_STR(filter(hdr, subj, 2, true, chunk), "X-Subject: no\r\nNoColon\r\n\r\n");
		CHECK_EQ_STR(filter(hdr, none, 1, false, chunk), "\r\n");
	}
	CHECK_EQ_STR(filter("Subject: no body", subj, 1, false, 1), "Subject: no body\r\n");
	CHECK_EQ_STR(filter("Subject: no body", subj, 1, true, 1), "");
}

/* A name with more blanks than the held buffer holds (fuzz finding): it
 * matches nothing, is never written past its bound, and the filter goes
 * on with the next field. */
TEST(header_filter_long_blank_name)
{
	static char hdr[400];
	static const char *const subj[] = { "Subject" };
	static const char tail[] = ": x\r\nSubject: y\r\n\r\n";
	size_t n = 0;

	memcpy(hdr, "Subject", 7);
	n = 7;
	memset(hdr + n, ' ', 200);
	n += 200;
	memcpy(hdr + n, tail, sizeof(tail));
	for (size_t chunk = 1; chunk < 300; chunk += 97) {
		CHECK_EQ_STR(filter(hdr, subj, 1, false, chunk), "Subject: y\r\n\r\n");
		CHECK_EQ_INT(strncmp(filter(hdr, subj, 1, true, chunk), "Subject   ", 10), 0);
	}
}

int main(void)
{
	RUN(simple);
	RUN(nested_rfc822);
	RUN(addresses);
	RUN(content_fields);
	RUN(rfc2231_parameters);
	RUN(digest_and_defaults);
	RUN(folded_and_duplicate_headers);
	RUN(non_mime_and_encoded_rfc822);
	RUN(sections);
	RUN(streaming_invariance);
	RUN(truncated_blob_fallback);
	RUN(long_header_by_reference);
	RUN(resumed_windows_match_fresh_parse);
	RUN(structures_in_pieces_match_whole);
	RUN(attachment_20mb);
	RUN(hostile_input);
	RUN(blob_validation);
	RUN(header_filter);
	RUN(header_filter_long_blank_name);
	return UNIT_DONE();
}
