/*
 * login_throttle.h - slowing down password guessing per source address.
 *
 * A bounded table remembers recent failures per IPv4 source. From the
 * THROTTLE_FREE-th consecutive failure on, the answer to each further failed
 * attempt from that source is held back for an exponentially growing,
 * capped delay. The session waits without blocking the task (other sessions
 * keep running). A successful login clears the source's record.
 */
#ifndef LOGIN_THROTTLE_H
#define LOGIN_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>

#ifndef THROTTLE_SLOTS
#define THROTTLE_SLOTS 32          /* sources remembered; the oldest is recycled */
#endif
#ifndef THROTTLE_FREE
#define THROTTLE_FREE 3            /* failures answered at once */
#endif
#ifndef THROTTLE_BASE_MS
#define THROTTLE_BASE_MS 500u
#endif
#ifndef THROTTLE_MAX_MS
#define THROTTLE_MAX_MS 15000u
#endif
#ifndef THROTTLE_FORGET_MS
#define THROTTLE_FORGET_MS (15u * 60u * 1000u)   /* a quiet source starts afresh */
#endif

/* Record a failure; returns how long to hold the answer back (ms). */
uint32_t login_throttle_fail(uint32_t addr, uint32_t now_ms);
void login_throttle_ok(uint32_t addr);

#endif
