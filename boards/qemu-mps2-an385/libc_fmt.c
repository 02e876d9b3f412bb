/*
 * libc_fmt.c - snprintf/vsnprintf for the firmware without a heap.
 *
 * newlib-nano's string printf drags in its allocator (_malloc_r, _sbrk) even
 * for snprintf into a caller's buffer, and the firmware links no heap. This
 * replaces those two functions for the whole image (the linker takes ours
 * before the library's). Conversions: d i u o x X c s p %, flags - 0 + space #,
 * width and precision (also *), length hh h l ll z t j. No floating point.
 * Unknown conversions are copied literally.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct fmt_out {
	char *buf;
	size_t cap;
	size_t len;   /* bytes the full result needs */
};

static void fmt_putc(struct fmt_out *o, char c)
{
	if (o->len + 1 < o->cap)
		o->buf[o->len] = c;
	o->len++;
}

static void fmt_pad(struct fmt_out *o, char c, int n)
{
	while (n-- > 0)
		fmt_putc(o, c);
}

enum { F_LEFT = 1, F_ZERO = 2, F_PLUS = 4, F_SPACE = 8, F_ALT = 16, F_PTR = 32 };

static void fmt_str(struct fmt_out *o, const char *s, int flags, int width, int prec)
{
	size_t n = 0;
	if (!s)
		s = "(null)";
	while (s[n] && (prec < 0 || n < (size_t)prec))
		n++;
	int pad = width > (int)n ? width - (int)n : 0;
	if (!(flags & F_LEFT))
		fmt_pad(o, ' ', pad);
	for (size_t i = 0; i < n; i++)
		fmt_putc(o, s[i]);
	if (flags & F_LEFT)
		fmt_pad(o, ' ', pad);
}

static void fmt_num(struct fmt_out *o, uintmax_t v, bool neg, unsigned base, bool upper,
		    int flags, int width, int prec)
{
	char digits[24];   /* 2^64 in octal is 22 digits */
	int nd = 0;
	const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	const char *prefix = "";
	bool zero = v == 0;

	do {
		digits[nd++] = set[v % base];
		v /= base;
	} while (v);
	if (prec == 0 && nd == 1 && digits[0] == '0')
		nd = 0;   /* "%.0d" of 0 prints nothing */
	if (neg)
		prefix = "-";
	else if (flags & F_PLUS)
		prefix = "+";
	else if (flags & F_SPACE)
		prefix = " ";
	else if (((flags & F_ALT) && base == 16 && !zero) || (flags & F_PTR))
		prefix = upper ? "0X" : "0x";
	else if ((flags & F_ALT) && base == 8 && (nd == 0 || digits[nd - 1] != '0'))
		prefix = "0";
	int zeros = prec > nd ? prec - nd : 0;
	int plen = (int)strlen(prefix);
	int total = plen + zeros + nd;
	int pad = width > total ? width - total : 0;
	if ((flags & F_ZERO) && !(flags & F_LEFT) && prec < 0) {
		zeros += pad;
		pad = 0;
	}
	if (!(flags & F_LEFT))
		fmt_pad(o, ' ', pad);
	for (int i = 0; i < plen; i++)
		fmt_putc(o, prefix[i]);
	fmt_pad(o, '0', zeros);
	while (nd > 0)
		fmt_putc(o, digits[--nd]);
	if (flags & F_LEFT)
		fmt_pad(o, ' ', pad);
}

int vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap)
{
	struct fmt_out o = {buf, cap, 0};

	while (*fmt) {
		if (*fmt != '%') {
			fmt_putc(&o, *fmt++);
			continue;
		}
		const char *start = fmt++;
		int flags = 0, width = 0, prec = -1;
		for (;; fmt++) {
			if (*fmt == '-') flags |= F_LEFT;
			else if (*fmt == '0') flags |= F_ZERO;
			else if (*fmt == '+') flags |= F_PLUS;
			else if (*fmt == ' ') flags |= F_SPACE;
			else if (*fmt == '#') flags |= F_ALT;
			else break;
		}
		if (*fmt == '*') {
			width = va_arg(ap, int);
			if (width < 0) {
				flags |= F_LEFT;
				width = -width;
			}
			fmt++;
		} else {
			while (*fmt >= '0' && *fmt <= '9')
				width = width * 10 + (*fmt++ - '0');
		}
		if (*fmt == '.') {
			fmt++;
			prec = 0;
			if (*fmt == '*') {
				prec = va_arg(ap, int);
				fmt++;
			} else {
				while (*fmt >= '0' && *fmt <= '9')
					prec = prec * 10 + (*fmt++ - '0');
			}
		}
		int lng = 0;   /* -2 hh, -1 h, 1 l, 2 ll, 3 size_t/ptrdiff_t/intmax_t */
		if (*fmt == 'h') {
			lng = -1;
			if (*++fmt == 'h') { lng = -2; fmt++; }
		} else if (*fmt == 'l') {
			lng = 1;
			if (*++fmt == 'l') { lng = 2; fmt++; }
		} else if (*fmt == 'z' || *fmt == 't' || *fmt == 'j') {
			lng = *fmt == 'j' ? 2 : 3;
			fmt++;
		}
		char c = *fmt;
		if (c)
			fmt++;
		switch (c) {
		case 'd':
		case 'i': {
			intmax_t v;
			if (lng == 2) v = va_arg(ap, long long);
			else if (lng == 1) v = va_arg(ap, long);
			else if (lng == 3) v = (intmax_t)va_arg(ap, ptrdiff_t);
			else v = va_arg(ap, int);
			if (lng == -1) v = (short)v;
			if (lng == -2) v = (signed char)v;
			uintmax_t mag = v < 0 ? (uintmax_t)0 - (uintmax_t)v : (uintmax_t)v;
			fmt_num(&o, mag, v < 0, 10, false, flags, width, prec);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
		case 'o': {
			uintmax_t v;
			if (lng == 2) v = va_arg(ap, unsigned long long);
			else if (lng == 1) v = va_arg(ap, unsigned long);
			else if (lng == 3) v = va_arg(ap, size_t);
			else v = va_arg(ap, unsigned int);
			if (lng == -1) v = (unsigned short)v;
			if (lng == -2) v = (unsigned char)v;
			unsigned base = c == 'u' ? 10 : c == 'o' ? 8 : 16;
			fmt_num(&o, v, false, base, c == 'X', flags & ~(F_PLUS | F_SPACE), width, prec);
			break;
		}
		case 'p':
			fmt_num(&o, (uintptr_t)va_arg(ap, void *), false, 16, false, F_PTR, width, -1);
			break;
		case 'c': {
			char ch = (char)va_arg(ap, int);
			int pad = width > 1 ? width - 1 : 0;
			if (!(flags & F_LEFT))
				fmt_pad(&o, ' ', pad);
			fmt_putc(&o, ch);
			if (flags & F_LEFT)
				fmt_pad(&o, ' ', pad);
			break;
		}
		case 's':
			fmt_str(&o, va_arg(ap, const char *), flags, width, prec);
			break;
		case '%':
			fmt_putc(&o, '%');
			break;
		default:   /* unsupported: copy the directive as written */
			while (start < fmt)
				fmt_putc(&o, *start++);
			break;
		}
	}
	if (cap > 0)
		buf[o.len < cap ? o.len : cap - 1] = '\0';
	return o.len > INT32_MAX ? -1 : (int)o.len;
}

int snprintf(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	return n;
}
