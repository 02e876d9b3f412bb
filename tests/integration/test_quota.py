"""QUOTA (RFC 9208): one quota root, "", for the device's flash; STORAGE
usage follows what is stored, the limit is what the store can hold;
GETQUOTAROOT for any visible mailbox, SETQUOTA refused, STATUS DELETED and
DELETED-STORAGE."""
import re
import unittest

from common_core2 import OneServer, connect, first_match, msg


def quota(lines):
    pat = r'\* QUOTA "" \(STORAGE (\d+) (\d+)\)$'
    return first_match(lines, pat, 1), first_match(lines, pat, 2)


class Quota(OneServer):
    def test_usage_follows_the_store(self):
        c = connect(self.srv)
        u, _ = c.ok("CAPABILITY")
        self.assertIn("QUOTA", u[0].split())
        self.assertIn("QUOTA=RES-STORAGE", u[0].split())
        u, _ = c.ok("GETQUOTAROOT INBOX")
        self.assertEqual(u[0], '* QUOTAROOT "INBOX" ""')
        used0, limit0 = quota(u)
        self.assertGreater(limit0, used0)
        big = msg(1, body=b"y" * (200 * 1024) + b"\r\n")
        c.append("INBOX", big)
        used1, limit1 = quota(c.ok('GETQUOTA ""')[0])
        self.assertGreaterEqual(used1 - used0, 200)
        self.assertLess(used1 - used0, 210)
        # the limit is what the flash can hold: it never grows with use (it
        # can shrink a little, as the store keeps room to move big records)
        self.assertLessEqual(limit1, limit0 + 1)
        self.assertGreater(limit1, used1)
        c.ok("SELECT INBOX")
        c.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
        u, _ = c.ok("STATUS INBOX (DELETED DELETED-STORAGE MESSAGES)")
        m = re.search(r"DELETED (\d+) DELETED-STORAGE (\d+)", u[0])
        self.assertEqual(int(m.group(1)), 1, u)
        self.assertEqual(int(m.group(2)), (len(big) + 1023) // 1024, u)
        c.ok("EXPUNGE")
        u, _ = c.ok("STATUS INBOX (DELETED-STORAGE)")
        self.assertIn("DELETED-STORAGE 0", u[0])
        c.close()

    def test_errors(self):
        c = connect(self.srv)
        _, t = c.cmd('GETQUOTA "other"')
        self.assertTrue(t.split()[1] == "NO" and "[NONEXISTENT]" in t, t)
        _, t = c.cmd("GETQUOTAROOT nosuchbox")
        self.assertTrue(t.split()[1] == "NO" and "[NONEXISTENT]" in t, t)
        _, t = c.cmd('SETQUOTA "" (STORAGE 512)')
        self.assertTrue(t.split()[1] == "NO" and "[NOPERM]" in t, t)
        _, t = c.cmd("GETQUOTA")
        self.assertEqual(t.split()[1], "BAD", t)
        c.close()


if __name__ == "__main__":
    unittest.main()
