"""mime_corpus.py - tricky messages for the MIME differential test.

corpus() returns [(name, bytes)], deterministic. Hand-written raw messages
cover broken MIME that no generator produces; Python's email package builds
the well-formed ones the way real clients write them.
"""
from email.header import Header
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import SMTP, SMTPUTF8


def crlf(s):
    return s.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


RAW = {
    "simple": b"From: A <a@b.c>\r\nSubject: hi\r\n\r\nhello\r\nworld",
    "no-boundary-param": b"Content-Type: multipart/mixed\r\n\r\n--XX\r\n\r\nhello\r\n",
    "boundary-never-seen": b"Content-Type: multipart/mixed; boundary=YY\r\n\r\n--XX\r\n\r\nhello\r\n",
    "all-content-fields": b"Content-Type: TEXT/Html; Name=\"a b\"; CHARSET=utf-8\r\n"
    b"Content-Transfer-Encoding: Base64\r\nContent-Language: en, de\r\n"
    b"Content-Disposition: attachment; filename=\"x.txt\"\r\nContent-ID: <id@x>\r\n"
    b"Content-Description: desc \"q\" \\\\ \r\nContent-MD5: abc\r\n"
    b"Content-Location: http://x/\r\n\r\naGVsbG8=\r\n",
    "nested-rfc822": b"Subject: outer\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
    b"--b1\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\nFrom: x@y\r\n"
    b"Content-Type: multipart/alternative; boundary=b2\r\n\r\n--b2\r\n\r\nt1\r\n--b2\r\n"
    b"Content-Type: text/html\r\n\r\n<b>\r\n--b2--\r\n\r\n--b1\r\n"
    b"Content-Type: message/rfc822\r\n\r\nSubject: inner2\r\n\r\nbody2\r\n--b1--\r\n",
    "addresses": b"From: \"Joe Q. Public\" <john.q.public@example.com>, undisclosed-recipients:;, "
    b"Mary Smith <@route,@r2:mary@x.test>, jdoe@one.test, foo, (comment) bar@baz (Bar Comment)\r\n"
    b"To: A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;, "
    b"Marie =?utf-8?q?M=C3=BCller?= <m@x>\r\nCc: \r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n"
    b"Message-ID:   <abc@def>  \r\nIn-Reply-To: <x@y> <z@w>\r\n"
    b"Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nSender: \"a\\\"b\" <s@s>\r\nReply-To: <>\r\n"
    b"Bcc: \"\" <q@q>\r\n\r\nbody\r\n",
    "addresses-2": b"From: \"john doe\"@x, <a@b>, user@[10.0.0.1], A (c1) B <ab@x> (c2)\r\n"
    b"To: g1:;, g2: a@b, c@d ;\r\nCc: , ,\r\nSender: x@y\r\n\r\n",
    "8bit-headers": b"Subject: caf\xc3\xa9 8bit\r\nFrom: J\xc3\xb6rg <j@x>\r\n\r\nx",
    "folded-subject": b"Subject: a\r\n  folded\r\n\tline  \r\nFrom: x\r\n\r\n",
    "digest": b"Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: dig\r\n\r\nhi\r\n"
    b"--d\r\nContent-Type: text/plain\r\n\r\nplain\r\n--d--\r\n",
    "header-only": b"Subject: no body",
    "outer-boundary-closes-inner": b"Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\n"
    b"Content-Type: multipart/mixed; boundary=i\r\n\r\n--i\r\n\r\ninner1\r\n--o\r\n\r\n"
    b"outer2\r\n--o--\r\n",
    "type-without-subtype": b"Content-Type: text\r\n\r\nx\r\n",
    "octet-stream": b"Content-Type: application/octet-stream\r\n\r\nx\r\n",
    "top-rfc822": b"Content-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\nbody\r\n",
    "empty-fields": b"From:\r\nReply-To:\r\nSender: \r\nTo: \"john doe\"@x, <a@b>\r\n"
    b"Subject:\r\n  lead\r\n\r\n",
    "charset-added": b"Content-Type: text/html; name=x\r\nContent-Language: en\r\n"
    b"Content-Disposition: inline\r\n\r\nx\r\n",
    "boundary-prefix-and-epilogue": b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n"
    b"Subject: no\r\n\r\nA\r\n--XXjunk\r\n\r\nB\r\n--XX-- trailing\r\n--XX\r\n\r\nC\r\n",
    "part-header-unterminated": b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n"
    b"Content-Type: text/plain\r\n--XX\r\n\r\nB\r\n--XX--\r\n",
    "empty-part": b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n\r\n--XX\r\n\r\nB\r\n--XX--\r\n",
    "quoted-boundary-comments": b"Content-Type: multipart/mixed (c) ; boundary = \"a b=c\" (x)\r\n"
    b"\r\npre\r\n--a b=c\r\nContent-Type: text/plain; charset=\"utf-8\" (comment)\r\n\r\nx\r\n"
    b"--a b=c--\r\n",
    "no-final-newline-boundary": b"Content-Type: multipart/mixed; boundary=Z\r\n\r\n--Z\r\n\r\nA\r\n--Z--",
    "duplicate-headers": b"Subject: first\r\nSubject: second\r\nContent-Type: text/plain; charset=a\r\n"
    b"Content-Type: text/html\r\nFrom: a@b\r\nFrom: c@d\r\n\r\nx\r\n",
    "space-before-colon": b"Subject : spaced\r\nX-No-Colon-Line\r\nFrom: a@b\r\n\r\nx\r\n",
    "8bit-param": b"Content-Type: application/pdf; name=\"r\xc3\xa9sum\xc3\xa9.pdf\"\r\n"
    b"Content-Disposition: attachment; filename=\"r\xc3\xa9sum\xc3\xa9.pdf\"\r\n\r\nx\r\n",
    "rfc822-base64": b"Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n"
    b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 7bit\r\n"
    b"Content-Description: fwd\r\n\r\nFrom: a@b\r\nSubject: fwd\r\n\r\ninner\r\n--q--\r\n",
    "blank-line-only": b"\r\n",
    "uppercase-and-padding": b"CONTENT-TYPE: MULTIPART/Mixed; BOUNDARY=\"Zz\"\r\n\r\n--Zz  \r\n"
    b"content-type: Text/Plain; Charset=\"UTF-8\"\r\ncontent-transfer-encoding: QUOTED-PRINTABLE\r\n"
    b"\r\nx=3D1\r\n--Zz\t\r\n\r\ny\r\n--Zz--  \r\n",
    "leading-space-header": b" Subject: folded-first\r\nSubject: real\r\nFrom: a@b\r\n\r\nx\r\n",
    "message-id-folded": b"Message-ID:\r\n <folded@id>\r\nIn-Reply-To: <a@b>\r\n  <c@d>\r\n"
    b"Date: Mon,\r\n 1 Jan 2024 00:00:00 +0000\r\nContent-Description: d\r\n e\r\n"
    b"Content-ID:\r\n <cid>\r\n\r\nx\r\n",
    "boundary-80": b"Content-Type: multipart/mixed; boundary=\"" + b"=" * 80 + b"\"\r\n\r\n--" +
    b"=" * 80 + b"\r\n\r\nA\r\n--" + b"=" * 80 + b"--\r\nepilogue\r\n",
    "prefix-boundaries": b"Content-Type: multipart/mixed; boundary=ab\r\n\r\n--ab\r\n"
    b"Content-Type: multipart/mixed; boundary=abc\r\n\r\n--abc\r\n\r\none\r\n--ab\r\n"
    b"\r\ntwo\r\n--abc--\r\n--ab-\r\n--ab--\r\n",
    "folded-content-fields": b"Subject: caf\xe9 latin\r\nFrom: J\xf6rg <j@x>\r\n"
    b"Content-Type: text/plain;\r\n charset=utf-8\r\nContent-Disposition: attachment;\r\n"
    b" filename=a\r\nContent-Language:\r\n en\r\nContent-Location: http://x/\r\n y\r\n"
    b"Content-MD5: ab\r\n c\r\nContent-Description: caf\xe9\r\n\r\nx\r\n",
    "mbox-from-line": b"From someone@example.com Mon Jan  1 00:00:00 2024\r\nSubject: s\r\n"
    b"From: a@b\r\n\r\nx\r\n",
    "not-mime-content-fields": b"Content-ID: <a>\r\nContent-Disposition: inline\r\n"
    b"Content-Language: en\r\nContent-Transfer-Encoding: 8bit\r\n\r\nx\r\n",
    "mime-version-enables": b"Content-ID: <a>\r\nMIME-Version: 1.0\r\n\r\nx\r\n",
    "content-type-enables": b"Content-ID: <a>\r\nContent-Type: text/plain\r\n\r\nx\r\n",
    "inner-not-mime": b"Content-Type: message/rfc822\r\n\r\nContent-ID: <in>\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\nx\r\n",
    "address-edge": b"From: Undisclosed recipients: ;\r\nTo: \"Last, First\" <lf@x.y>, "
    b"<@a.b:c@d.e>, a@b (c (nested) d), \"quoted@at\"@host, @nomailbox, name <>,"
    b" =?utf-8?b?w6k=?= <e@f>\r\nCc: group: ;\r\nBcc: x@y, ,, z@w\r\n"
    b"Reply-To: \r\nSender: ()\r\n\r\n",
    "rfc2231-params": b"Content-Type: application/x; title*0*=us-ascii'en'This%20is; "
    b"title*1*=%20fun; a=\"b\\\"c\"\r\nContent-Disposition: attachment; "
    b"key4*=us-ascii''foo; key*2=ba%; key2*0=a; key3*0*=us-ascii'en'xyz; key*0=\"foo\"; "
    b"key2*1*=b%25; key3*1=plop%; key*1=baz\r\n\r\nx\r\n",
    "rfc2231-filename": b"Content-Type: application/pdf; name*=UTF-8''r%C3%A9.pdf\r\n"
    b"Content-Disposition: attachment; a=b; filename*=UTF-8''r%C3%A9.pdf\r\n\r\nx\r\n",
    "preamble-only-crlf": b"Content-Type: multipart/alternative; boundary=\"=_x\"\r\n\r\n"
    b"--=_x\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
    b"caf=C3=A9 =\r\nsoft\r\n--=_x\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--=_x--\r\n",
}


def generated():
    out = {}
    m = MIMEMultipart("mixed")
    m["From"] = Header("Jürgen Müller", "utf-8").encode() + " <jm@example.org>"
    m["To"] = ", ".join("User %d <u%d@example.com>" % (i, i) for i in range(40))
    m["Subject"] = Header("Grüße aus Köln – ein ziemlich langer Betreff " * 3, "utf-8").encode()
    m["Message-ID"] = "<gen1@example.org>"
    m["Date"] = "Tue, 02 Jan 2024 10:00:00 +0100"
    alt = MIMEMultipart("alternative")
    alt.attach(MIMEText("Hallo Welt äöü\n" * 20, "plain", "utf-8"))
    alt.attach(MIMEText("<p>Hallo Welt</p>\n" * 20, "html", "utf-8"))
    m.attach(alt)
    att = MIMEApplication(bytes(range(256)) * 40, "octet-stream")
    att.add_header("Content-Disposition", "attachment", filename="data.bin")
    m.attach(att)
    inner = EmailMessage()
    inner["From"] = "inner@example.org"
    inner["Subject"] = "forwarded"
    inner.set_content("inner body\n")
    inner.add_attachment(b"\x00\x01binary", maintype="application", subtype="x-thing",
                         filename="t.bin")
    m.attach(MIMEMessage(inner))
    m.set_boundary("===gen-mixed")
    alt.set_boundary("===gen-alt")
    inner.set_boundary("===gen-inner")
    out["generated-mixed"] = m.as_bytes(policy=SMTP)

    e = EmailMessage(policy=SMTPUTF8)
    e["From"] = "Zoë <zoe@example.com>"
    e["To"] = "Ünïcode Group: a@b.c, d@e.f;"
    e["Subject"] = "x" * 300
    e.set_content("plain text body\n" * 5, cte="quoted-printable")
    e.add_alternative("<html><body>" + "y" * 2000 + "</body></html>\n", subtype="html")
    e.set_boundary("===gen-utf8")
    out["generated-alternative-utf8"] = e.as_bytes(policy=SMTPUTF8)

    # one unfolded 6000-byte Subject and a To: with 400 recipients (values
    # beyond the blob's inline limit)
    rcpt = ",\r\n ".join("\"Recipient %d\" <r%d@example.net>" % (i, i) for i in range(400))
    out["long-headers"] = (b"Subject: " + b"word " * 1200 + b"\r\nTo: " + rcpt.encode() +
                           b"\r\nFrom: a@b\r\n\r\nbody\r\n")

    # 300 parts: the structure exceeds the metadata blob
    parts = b"".join(b"--P\r\nContent-Type: text/plain; name=\"part%d.txt\"\r\n\r\nbody %d\r\n"
                     % (i, i) for i in range(300))
    out["many-parts"] = (b"Subject: many\r\nContent-Type: multipart/mixed; boundary=P\r\n\r\n" +
                         parts + b"--P--\r\n")

    # nesting within the parser's bounds
    nest = b"leaf\r\n"
    for d in range(7, 0, -1):
        nest = (b"Content-Type: multipart/mixed; boundary=n%d\r\n\r\n--n%d\r\n" % (d, d) + nest +
                b"\r\n--n%d--\r\n" % d)
    out["nested-7"] = b"Subject: nested\r\n" + nest

    # the parser's nesting bound: 16 multiparts, the innermost in a message/rfc822
    out["nested-16"] = (b"Subject: deep\r\n" + b"".join(
        b"Content-Type: multipart/mixed; boundary=\"=_%02d_boundary_text\"\r\n\r\n"
        b"--=_%02d_boundary_text\r\n" % (i, i) for i in range(16)) +
        b"Content-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\nleaf\r\n")

    # a 20 MB attachment
    import base64
    blob = base64.encodebytes(bytes((i * 7) & 0xff for i in range(15 * 1024 * 1024)))
    out["attachment-20mb"] = crlf(b"Subject: big\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
                                  b"--B\r\nContent-Type: text/plain\r\n\r\nsee attachment\r\n"
                                  b"--B\r\nContent-Type: application/octet-stream\r\n"
                                  b"Content-Transfer-Encoding: base64\r\n\r\n") + \
        blob.replace(b"\n", b"\r\n") + b"--B--\r\n"
    return out


# Known, documented differences (docs/mime-differences.md): message -> reason.
KNOWN = {
    "lf-only": "sizes: Dovecot counts LF as CRLF (virtual size); we report stored bytes",
    "long-boundaries": "Dovecot misses the close delimiter of boundaries longer than 80 "
    "bytes (an extra empty part); RFC 2046 5.1.1 defines it for any boundary",
    "subject-100k": "Dovecot breaks header lines longer than 64 KiB (its Subject becomes a "
    "literal with a space inside); we keep the value whole",
    "rfc822-unterminated-inner": "an encapsulated header cut by a delimiter: Dovecot keeps the "
    "line break before the delimiter in it; RFC 2046 5.1.1 gives it to the delimiter",
    "nested-40": "multiparts nested beyond MIME_MAX_BOUNDARIES (16) get one empty text part",
    "nul-and-cr": "Dovecot rewrites NUL bytes to 0x80 when it saves a message; we store "
    "what was APPENDed",
    "rfc822-base64-encoded": "Dovecot counts the line break before the delimiter into an "
    "encoded message/rfc822 part",
    "rfc2231-dovecot-quirk": "Dovecot 2.3.19 names a trailing key*= after numbered sections "
    "\"key*1*\"; RFC 2231 section 4 names it \"key*\"",
}


def known_cases():
    return {
        "lf-only": b"Subject: lf\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\nx\ny\n--b\n"
        b"Content-Type: text/plain; charset=iso-8859-1\n\nz\n--b--\n",
        "rfc2231-dovecot-quirk": b"Content-Type: text/plain\r\nContent-Disposition: attachment; "
        b"key*0=a; key*1=b; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf\r\n\r\nx\r\n",
        "nul-and-cr": b"Subject: a\x00b\r\nFrom: \"N\x00ame\" <a@b>\r\nX-CR: a\rb\r\n\r\n"
        b"body\rmore\r\n",
        "rfc822-base64-encoded": b"Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n"
        b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"U3ViamVjdDogaW5uZXINCg0KYm9keQ0K\r\n--q--\r\n",
        "long-boundaries": b"Content-Type: multipart/mixed; boundary=\"" + b"L" * 100 + b"\"\r\n\r\n--" +
        b"L" * 100 + b"\r\nContent-Type: multipart/alternative; boundary=" + b"M" * 200 +
        b"\r\n\r\n--" + b"M" * 200 + b"\r\n\r\ninner\r\n--" + b"M" * 200 + b"--\r\n--" +
        b"L" * 100 + b"\r\n\r\nouter\r\n--" + b"L" * 100 + b"--\r\n",
        "subject-100k": b"Subject: " + b"0123456789" * 10000 + b"\r\nFrom: a@b\r\n\r\nx\r\n",
        "rfc822-unterminated-inner": b"Content-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\n"
        b"Content-Type: message/rfc822\r\n\r\nSubject: inner\r\nFrom: a@b\r\n--z\r\n"
        b"Content-Type: message/rfc822\r\n\r\n--z--\r\n",
        "nested-40": b"Subject: deep\r\n" + b"".join(
            b"Content-Type: multipart/mixed; boundary=d%d\r\n\r\n--d%d\r\n" % (i, i)
            for i in range(40)) + b"\r\nleaf\r\n",
    }


def corpus():
    items = dict(RAW)
    items.update(generated())
    items.update(known_cases())
    return sorted(items.items())


SECTIONS = ["", "HEADER", "TEXT", "1", "2", "3", "1.1", "1.2", "2.1", "2.2", "1.1.1",
            "1.MIME", "2.MIME", "3.MIME", "1.1.MIME", "1.HEADER", "1.TEXT", "2.HEADER",
            "2.TEXT", "3.HEADER", "3.TEXT", "2.1.MIME", "3.1", "3.2",
            "HEADER.FIELDS (FROM SUBJECT)", "HEADER.FIELDS.NOT (FROM SUBJECT TO)",
            "1.HEADER.FIELDS (SUBJECT)", "3.HEADER.FIELDS.NOT (SUBJECT)"]


if __name__ == "__main__":
    import os
    import sys
    d = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(d, exist_ok=True)
    for name, data in corpus():
        with open(os.path.join(d, name + ".eml"), "wb") as f:
            f.write(data)
