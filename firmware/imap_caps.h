/*
 * imap_caps.h - the capabilities this server implements (RFC 3501 7.2.1).
 * Only what works end to end is listed; the transport- and state-dependent
 * ones (STARTTLS, LOGINDISABLED, AUTH=PLAIN) are added by imap_cmd_auth.c.
 */
#ifndef IMAP_CAPS_H
#define IMAP_CAPS_H

#define IMAP_CAPS_BASE "IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ENABLE ID IDLE NAMESPACE UNSELECT"
#define IMAP_CAPS_AUTHED                                                                  \
	"CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UTF8=ACCEPT ACL RIGHTS=kxte " \
	"UIDPLUS MOVE ESEARCH SEARCHRES BINARY STATUS=SIZE CONDSTORE QRESYNC QUOTA QUOTA=RES-STORAGE"

#endif
