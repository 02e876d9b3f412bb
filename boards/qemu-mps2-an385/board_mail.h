/*
 * board_mail.h - the mail this board writes itself: a welcome message for a
 * new user and a short report on every boot (mail_deliver.h does the work).
 */
#ifndef BOARD_MAIL_H
#define BOARD_MAIL_H

#include <stdint.h>

struct store;

struct board_boot_info {
	uint32_t boot_count;
	const char *address;        /* IPv4 as text */
	const char *fingerprint;    /* certificate SHA-256, "" if none */
	uint32_t boot_ms;           /* reset to ready */
	uint32_t stack_used, stack_size;
};

/* 0 or a negative STORE_* error. */
int board_mail_welcome(struct store *s, const char *user);
/* To the INBOX of every user; returns how many got it. */
int board_mail_boot_report(struct store *s, const struct board_boot_info *info);

#endif
