#!/usr/bin/env python3
"""bench.py - our host build against Dovecot under the same load.

Run by tools/bench.sh (make bench). For each server in turn: start it fresh
on a free loopback port, then with tools/loadgen
  populate  USERS x 100 generated messages (load's starting mailboxes)
  load      CLIENTS clients over USERS users, --mode login (LOGIN/LOGOUT every
            5 commands) and --mode long (one session per client)
  fetch     a 1 MiB and a 20 MiB message, FETCH BODY.PEEK[]
  flags     SELECT + UID FETCH 1:* (FLAGS) on a 10,000-message INBOX
  search    SEARCH TEXT over the same 10,000 messages
and measure the server's CPU seconds per phase (Dovecot: every process,
including exited children, which its master has reaped) and peak RSS, sampled
every 20 ms (Dovecot: the sum over all its processes; PSS too, since a sum
of RSS counts shared pages once per process).

Results: OUT/results.txt (every loadgen line plus server figures), and the
benchmark section of docs/benchmarks.md with docs/benchmarks.svg (gnuplot).
"""
import argparse
import json
import os
import platform
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

USERS = 3
CLIENTS = 6            # our host build serves IMAPD_MAX_SESSIONS = 8 at once
OPS_LOGIN = 300        # mixed commands per client, a new login every 5
OPS_LONG = 1500
ROUNDS = 3             # load phases alternate between the servers; median round
MANY = 10000
PASSWORD = "password"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg):
    print(f"bench: {msg}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_greeting(port, proc, timeout=30.0):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                if s.recv(200).startswith(b"* OK"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"no greeting on port {port} in {timeout} s")


# ---- /proc accounting ----

def read_stat(pid):
    """(ppid, utime+stime, cutime+cstime) in seconds, or None if gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rindex(")") + 2:].split()
    ppid = int(fields[1])
    own = (int(fields[11]) + int(fields[12])) / CLK_TCK
    reaped = (int(fields[13]) + int(fields[14])) / CLK_TCK
    return ppid, own, reaped


def descendants(root):
    """root and every process below it."""
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = read_stat(int(d))
            if st:
                parent[int(d)] = st[0]
    out, todo = [root], [root]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        out += kids
        todo += kids
    return out


def mem_kib(pid):
    """(RSS, PSS, USS) in KiB, or None if gone. USS: private pages only."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            text = f.read()
    except OSError:
        return None
    def field(name):
        m = re.search(rf"^{name}:\s+(\d+)", text, re.M)
        return int(m.group(1)) if m else 0
    return field("Rss"), field("Pss"), field("Private_Clean") + field("Private_Dirty")


class Sampler(threading.Thread):
    """Peak of summed RSS and PSS over a server's processes, every 20 ms."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.server = server
        self.stop_ev = threading.Event()
        self.lock = threading.Lock()
        self.peak_rss = self.peak_pss = self.peak_uss = 0
        self.all_rss = self.procs = 0   # over the whole run, never reset

    def reset(self):
        with self.lock:
            self.peak_rss = self.peak_pss = self.peak_uss = 0

    def peaks(self):
        with self.lock:
            return self.peak_rss, self.peak_pss, self.peak_uss

    def run(self):
        while not self.stop_ev.wait(0.02):
            rss = pss = uss = n = 0
            for pid in self.server.pids():
                m = mem_kib(pid)
                if m:
                    rss += m[0]
                    pss += m[1]
                    uss += m[2]
                    n += 1
            with self.lock:
                self.peak_rss = max(self.peak_rss, rss)
                self.peak_pss = max(self.peak_pss, pss)
                self.peak_uss = max(self.peak_uss, uss)
                self.all_rss = max(self.all_rss, rss)
                self.procs = max(self.procs, n)


# ---- the servers ----

class Server:
    name = "?"

    def __init__(self, out):
        self.out = out
        self.port = free_port()
        self.proc = None

    def pids(self):
        return descendants(self.proc.pid) if self.proc and self.proc.poll() is None else []

    def cpu(self):
        """CPU seconds so far: live processes plus reaped children."""
        total = 0.0
        for pid in self.pids():
            st = read_stat(pid)
            if st:
                total += st[1] + (st[2] if pid == self.proc.pid else 0)
        return total

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Ours(Server):
    name = "ours"

    def __init__(self, out, imapd, users):
        super().__init__(out)
        self.imapd = imapd
        self.users = users

    def start(self):
        d = os.path.join(self.out, "ours")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        cmd = [self.imapd, "--image", os.path.join(d, "mail.img"), "--image-size", "256M",
               "--port", str(self.port), "--tls-port", "0", "--allow-plaintext", "-q"]
        for u in self.users:
            cmd += ["--user", f"{u}:{PASSWORD}"]
        self.log = open(os.path.join(d, "imapd.log"), "w")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        wait_greeting(self.port, self.proc)

    def populate_many(self, loadgen, user, count):
        return loadgen.run("populate", self, "--users", "1", "--user", user,
                           "--count", str(count), "--max-kib", "4", "--seed", "7")


class Dovecot(Server):
    name = "dovecot"

    def __init__(self, out, users):
        super().__init__(out)
        self.users = users
        self.dir = os.path.abspath(os.path.join(out, "dovecot"))

    def start(self):
        d = self.dir
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(os.path.join(d, "base"))
        os.makedirs(os.path.join(d, "mail"))
        dv = pwd.getpwnam("dovecot")
        os.chown(os.path.join(d, "mail"), dv.pw_uid, dv.pw_gid)
        # Password hashes as costly as ours: PBKDF2 with our iteration count
        # (Dovecot's PBKDF2 is HMAC-SHA1, ours HMAC-SHA256), no auth cache.
        pw = subprocess.run(["doveadm", "pw", "-s", "PBKDF2", "-r", str(pbkdf2_iterations()),
                             "-p", PASSWORD], capture_output=True, text=True, check=True)
        with open(os.path.join(d, "passwd"), "w") as f:
            for u in self.users:
                f.write(f"{u}:{pw.stdout.strip()}\n")
        # Debian's defaults except what a private instance needs: its own
        # paths and port, no TLS, plaintext login on loopback, and a per-IP
        # connection limit high enough for the load.
        conf = f"""# generated by tools/bench/bench.py
base_dir = {d}/base
state_dir = {d}/base/state
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
first_valid_uid = 0
mail_location = maildir:{d}/mail/%u
protocol imap {{
  mail_max_userip_connections = 1000
}}
passdb {{
  driver = passwd-file
  args = username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={d}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
"""
        self.conf = os.path.join(d, "dovecot.conf")
        with open(self.conf, "w") as f:
            f.write(conf)
        self.log = open(os.path.join(d, "stdout.log"), "w")
        self.proc = subprocess.Popen(["dovecot", "-F", "-c", self.conf], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        wait_greeting(self.port, self.proc)

    def populate_many(self, loadgen, user, count):
        """The same messages as ours gets, written as a Maildir: Dovecot
        fsyncs each APPEND, which would take minutes (it indexes the files
        on the first SELECT, before the measured ones)."""
        md = os.path.join(self.dir, "mail", user)
        res = loadgen.run("maildir", None, "--dir", md, "--count", str(count),
                          "--max-kib", "4", "--seed", "7")
        pw = pwd.getpwnam("dovecot")
        for root, dirs, files in os.walk(md):
            for n in dirs + files:
                os.chown(os.path.join(root, n), pw.pw_uid, pw.pw_gid)
        os.chown(md, pw.pw_uid, pw.pw_gid)
        return res


def pbkdf2_iterations():
    """Ours: AUTH_PBKDF2_ITERATIONS of firmware/auth.c."""
    with open("firmware/auth.c") as fh:
        m = re.search(r"#define AUTH_PBKDF2_ITERATIONS (\d+)", fh.read())
    return int(m.group(1)) if m else 1000


class Loadgen:
    def __init__(self, path, results):
        self.path = path
        self.results = results

    def run(self, sub, server, *args):
        cmd = [self.path, sub, "--label", server.name if server else "dovecot",
               "--password", PASSWORD, *args]
        if server:
            cmd += ["--port", str(server.port)]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
        if p.returncode != 0:
            raise RuntimeError(f"loadgen {sub} failed: {p.stderr.strip()[-400:]}")
        recs = []
        for line in p.stdout.splitlines():
            self.results.write(line + "\n")
            kind, *kv = line.split()
            rec = {"kind": kind}
            rec.update(x.split("=", 1) for x in kv)
            recs.append(rec)
        self.results.flush()
        return recs


def run_load(srv, smp, lg, results, mode, ops, rnd):
    smp.reset()
    c0 = srv.cpu()
    recs = lg.run("load", srv, "--mode", mode, "--clients", str(CLIENTS),
                  "--users", str(USERS), "--ops", str(ops), "--seed", str(42 + rnd))
    cpu = srv.cpu() - c0
    rss, pss, uss = smp.peaks()
    run = {"lat": {}}
    for rec in recs:
        if rec["kind"] == "load":
            run["load"] = dict(rec, cpu=cpu, rss=rss, pss=pss, uss=uss)
        elif rec["kind"] == "latency":
            run["lat"][f"{mode}/{rec['cmd']}"] = rec
    results.write(f"server label={srv.name} phase=load-{mode} round={rnd} cpu_s={cpu:.3f} "
                  f"peak_rss_kib={rss} peak_pss_kib={pss} peak_uss_kib={uss}\n")
    log(f"{srv.name} {mode} #{rnd + 1}: {run['load']['cmds_per_s']} commands/s, "
        f"CPU {cpu:.2f} s, peak RSS {rss} KiB")
    return run


def bench_all(servers, lg, results):
    """Every phase for one server, then the other, so that both see about the
    same background load; load phases ROUNDS times, the median round counts."""
    res = {s.name: {"name": s.name, "load": {}, "lat": {}, "fetch": {}, "errors": []}
           for s in servers}
    samplers = {}
    try:
        for srv in servers:
            log(f"{srv.name} on port {srv.port}")
            srv.start()
            samplers[srv.name] = Sampler(srv)
            samplers[srv.name].start()
        for srv in servers:
            lg.run("populate", srv, "--users", str(USERS), "--count", "100", "--seed", "1")
        for mode, ops in (("login", OPS_LOGIN), ("long", OPS_LONG)):
            runs = {s.name: [] for s in servers}
            for rnd in range(ROUNDS):
                for srv in servers:
                    runs[srv.name].append(run_load(srv, samplers[srv.name], lg, results,
                                                   mode, ops, rnd))
            for srv in servers:
                ordered = sorted(runs[srv.name], key=lambda r: float(r["load"]["cmds_per_s"]))
                med = ordered[len(ordered) // 2]
                r = res[srv.name]
                r["load"][mode] = dict(med["load"], rounds=[x["load"]["cmds_per_s"]
                                                            for x in runs[srv.name]])
                r["lat"].update(med["lat"])
        for size in ("1M", "20M"):
            for srv in servers:
                try:
                    rec = lg.run("fetch", srv, "--user", "big", "--size", size,
                                 "--repeat", "5")[0]
                    res[srv.name]["fetch"][size] = rec
                    log(f"{srv.name} fetch {size}: {rec['mib_per_s']} MiB/s")
                except RuntimeError as e:
                    res[srv.name]["errors"].append(f"fetch {size}: {e}")
                    log(f"{srv.name} fetch {size}: {e}")
        for srv in servers:
            r = res[srv.name]
            try:
                srv.populate_many(lg, "many", MANY)
                r["flags"] = lg.run("flags", srv, "--user", "many", "--repeat", "5")[0]
                r["search"] = lg.run("searchtext", srv, "--user", "many", "--repeat", "3")[0]
                log(f"{srv.name} {MANY} messages: flags {r['flags']['total_ms']} ms, "
                    f"search {r['search']['ms']} ms")
            except RuntimeError as e:
                r["errors"].append(f"{MANY} messages: {e}")
                log(f"{srv.name} {MANY} messages: {e}")
    finally:
        for srv in servers:
            smp = samplers.get(srv.name)
            if smp:
                smp.stop_ev.set()
                smp.join()
                res[srv.name]["overall_rss"] = smp.all_rss
                res[srv.name]["procs"] = smp.procs
            srv.stop()
    return [res[s.name] for s in servers]


# ---- report ----

def loadavg():
    with open("/proc/loadavg") as fh:
        return " ".join(fh.read().split()[:3])


def machine(load_before):
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) // 1024
    deb = open("/etc/debian_version").read().strip() if os.path.exists("/etc/debian_version") else "?"
    dv = subprocess.run(["dovecot", "--version"], capture_output=True, text=True).stdout.strip()
    gcc = subprocess.run(["gcc", "-dumpfullversion"], capture_output=True, text=True).stdout.strip()
    return (f"{os.cpu_count()} CPUs ({model}), {mem} MiB RAM, Linux {platform.release()}, "
            f"Debian {deb}; Dovecot {dv}; gcc {gcc} (ours: -O2). Load average "
            f"(1, 5, 15 min) before the run {load_before}, after {loadavg()}: other work "
            "on the machine shows up as noise in every figure")


def f(v, nd=1):
    return f"{float(v):.{nd}f}"


def ratio(a, b, nd=2):
    try:
        return f"{float(a) / float(b):.{nd}f}"
    except (ZeroDivisionError, TypeError, ValueError, KeyError):
        return "-"


def plot(res, out, svg):
    """Commands/s per mode and p50 latency per command (long sessions)."""
    ours, dv = res
    data = os.path.join(out, "plot-load.dat")
    with open(data, "w") as fh:
        for mode, label in (("login", "login per session"), ("long", "long-lived sessions")):
            fh.write(f'"{label}" {ours["load"].get(mode, {}).get("cmds_per_s", 0)} '
                     f'{dv["load"].get(mode, {}).get("cmds_per_s", 0)}\n')
    lat = os.path.join(out, "plot-lat.dat")
    with open(lat, "w") as fh:
        for key, rec in sorted(ours["lat"].items()):
            mode, cmd = key.split("/")
            other = dv["lat"].get(key)
            if mode == "long" and other and cmd != "CONNECT":
                fh.write(f'"{cmd}" {max(float(rec["p50_ms"]), 0.001)} '
                         f'{max(float(other["p50_ms"]), 0.001)}\n')
    script = f"""set terminal svg size 1100,440 dynamic noenhanced font "sans,11"
set output "{svg}"
set multiplot layout 1,2
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set key below
set title "IMAP commands per second ({CLIENTS} clients)"
set ylabel "commands/s"
set yrange [0:*]
plot "{data}" using 2:xtic(1) title "ours" lc rgb "#2a7ab0", \\
     "" using 3 title "Dovecot" lc rgb "#c0504d"
set title "p50 latency per command, long-lived sessions"
set ylabel "ms (log scale)"
set logscale y
set yrange [*:*]
set xtics rotate by -35
plot "{lat}" using 2:xtic(1) title "ours" lc rgb "#2a7ab0", \\
     "" using 3 title "Dovecot" lc rgb "#c0504d"
unset multiplot
"""
    p = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    if p.returncode != 0:
        log(f"gnuplot failed: {p.stderr.strip()}")
        return False
    return True


def report(res, machine_desc, when, plotted):
    ours, dv = res
    L = []
    L.append(f"Measured by `make bench` on {when}.")
    L.append("")
    L.append(f"Machine: {machine_desc}.")
    L.append("")
    L.append("Both servers run on the same machine as the load generator "
             "(`tools/loadgen`, one process, one poll() loop, one command in flight "
             "per connection, fixed seed). Both start from an empty store and run "
             "side by side, idle while the other is measured. "
             f"Load: {CLIENTS} clients over {USERS} users, each INBOX first "
             "filled with 100 generated mixed-MIME messages; each client runs LOGIN, "
             "SELECT INBOX, then a seeded mix of FETCH (flags, header, whole body, "
             "partial), APPEND, STORE, SEARCH and EXPUNGE, and LOGOUT; clients "
             "connect whenever they are ready (concurrently). "
             f"*login per session*: {OPS_LOGIN} commands per client with a new "
             f"connection and LOGIN every 5; *long-lived*: {OPS_LONG} commands per "
             "client in one session. Commands/s counts every tagged command "
             "(LOGIN, SELECT and LOGOUT included) over the wall time. Each load "
             f"phase runs {ROUNDS} times, alternating between the servers (each round "
             "with its own seed, the same for both); the table shows the median "
             "round, all rounds' commands/s are listed after it.")
    L.append("")
    L.append("Ours: `build/host/imapd` (lwIP over libslirp, one thread, a 256 MiB "
             "file-backed flash image; nothing is acknowledged before it is fsynced, "
             "one fsync per pass of the main loop (group commit, docs/architecture.md); "
             "SHA-256 from the CPU's SHA instructions when present; the host build "
             "has 16384 index slots, see mk/core2.mk). Dovecot: "
             "Debian's `dovecot-imapd` with its default process model (a login "
             "process and an imap process per connection) and Maildir, in a "
             "private instance (`build/bench/dovecot/dovecot.conf`). Passwords: "
             f"ours PBKDF2-HMAC-SHA256 with {pbkdf2_iterations()} iterations, run "
             "in its one task; Dovecot's passwd-file with PBKDF2 (HMAC-SHA1) of as "
             "many iterations, no auth cache. CPU: all of "
             "the server's processes, exited ones included. Memory: peak of the "
             "sum over the server's processes, sampled every 20 ms; RSS counts "
             "shared library pages once per process, PSS divides them among the "
             "processes sharing them, USS counts only private pages. Ours is one "
             "static executable (libslirp linked in, no GLib; docs/architecture.md, "
             "\"Host memory\"), so its RSS, PSS and USS are nearly the same: its "
             "own code, its static RAM (see Size) and libslirp's socket buffers.")
    L.append("")
    L.append("### Load")
    L.append("")
    L.append("| mode | server | commands/s | CPU s | CPU ms/command | peak RSS KiB | peak PSS KiB | peak USS KiB | errors |")
    L.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for mode in ("login", "long"):
        for srv in (ours, dv):
            rec = srv["load"].get(mode)
            if not rec:
                L.append(f"| {mode} | {srv['name']} | failed | | | | | | |")
                continue
            cmds = float(rec["commands"])
            L.append(f"| {mode} | {srv['name']} | {f(rec['cmds_per_s'])} | {f(rec['cpu'], 2)} | "
                     f"{f(1000 * rec['cpu'] / cmds, 3) if cmds else '-'} | {rec['rss']} | "
                     f"{rec['pss']} | {rec['uss']} | {rec['errors']} |")
    L.append("")
    for mode in ("login", "long"):
        for srv in (ours, dv):
            rec = srv["load"].get(mode)
            if rec:
                L.append(f"- {mode}, {srv['name']}: commands/s per round "
                         + ", ".join(f(x) for x in rec["rounds"]))
    L.append("")
    L.append("Errors are tagged NO/BAD answers: ours answers a FETCH that names a "
             "message another session has meanwhile expunged with `NO [EXPUNGEISSUED]` "
             "(RFC 5530); see results.txt for the counts per command.")
    L.append("")
    L.append("Ratios ours/dovecot (goals: commands/s >= 3 with a login per session, "
             ">= 1.5 long-lived; memory <= 0.05):")
    L.append("")
    L.append("| mode | commands/s | CPU s | peak RSS | peak PSS | peak USS |")
    L.append("|---|---:|---:|---:|---:|---:|")
    for mode in ("login", "long"):
        a, b = ours["load"].get(mode, {}), dv["load"].get(mode, {})
        L.append(f"| {mode} | {ratio(a.get('cmds_per_s'), b.get('cmds_per_s'))} | "
                 f"{ratio(a.get('cpu'), b.get('cpu'))} | {ratio(a.get('rss'), b.get('rss'), 3)} | "
                 f"{ratio(a.get('pss'), b.get('pss'), 3)} | {ratio(a.get('uss'), b.get('uss'), 3)} |")
    L.append("")
    L.append("Latency per command type, milliseconds (p50 / p99):")
    L.append("")
    L.append("| command | login: ours | login: Dovecot | long: ours | long: Dovecot |")
    L.append("|---|---:|---:|---:|---:|")
    cmds = sorted({k.split("/")[1] for k in list(ours["lat"]) + list(dv["lat"])})
    for c in cmds:
        cells = []
        for mode in ("login", "long"):
            for srv in (ours, dv):
                rec = srv["lat"].get(f"{mode}/{c}")
                cells.append(f"{f(rec['p50_ms'], 2)} / {f(rec['p99_ms'], 2)}" if rec else "-")
        L.append(f"| {c} | " + " | ".join(cells) + " |")
    L.append("")
    if plotted:
        L.append("![commands/s and p50 latency, ours vs Dovecot](benchmarks.svg)")
        L.append("")
    L.append("### Single-client tests")
    L.append("")
    L.append("For times (s, ms) a ratio below 1 means ours is faster; for MiB/s, above 1.")
    L.append("")
    L.append("| test | ours | Dovecot | ours/dovecot |")
    L.append("|---|---:|---:|---:|")
    for size in ("1M", "20M"):
        a, b = ours["fetch"].get(size), dv["fetch"].get(size)
        L.append(f"| FETCH BODY.PEEK[] of a {size}iB message, MiB/s (median of 5) | "
                 f"{f(a['mib_per_s']) if a else 'failed'} | {f(b['mib_per_s']) if b else 'failed'} | "
                 f"{ratio(a and a['mib_per_s'], b and b['mib_per_s'])} |")
        L.append(f"| APPEND of that message, s | {f(a['append_s'], 3) if a else '-'} | "
                 f"{f(b['append_s'], 3) if b else '-'} | {ratio(a and a['append_s'], b and b['append_s'])} |")
    a, b = ours.get("flags"), dv.get("flags")
    L.append(f"| SELECT + UID FETCH 1:* (FLAGS), {MANY} messages, ms (median of 5) | "
             f"{f(a['total_ms']) if a else 'failed'} | {f(b['total_ms']) if b else 'failed'} | "
             f"{ratio(a and a['total_ms'], b and b['total_ms'])} |")
    a, b = ours.get("search"), dv.get("search")
    L.append(f"| SEARCH TEXT over {MANY} messages, ms (median of 3) | "
             f"{f(a['ms']) if a else 'failed'} | {f(b['ms']) if b else 'failed'} | "
             f"{ratio(a and a['ms'], b and b['ms'])} |")
    if a and b and a.get("hits") != b.get("hits"):
        L.append(f"| SEARCH TEXT hits (should agree) | {a['hits']} | {b['hits']} | |")
    L.append("")
    L.append(f"Overall peak RSS (every phase, incl. the 20 MiB message): ours "
             f"{ours['overall_rss']} KiB, Dovecot {dv['overall_rss']} KiB "
             f"({dv['procs']} processes at most).")
    errs = [f"{s['name']}: {e}" for s in res for e in s["errors"]]
    if errs:
        L.append("")
        L.append("Failures:")
        L.append("")
        L += [f"- {e}" for e in errs]
    return "\n".join(L)


def update_doc(doc, section, body):
    """Replace the text between this section's markers, keeping the rest."""
    begin, end = f"<!-- begin {section} -->", f"<!-- end {section} -->"
    text = open(doc).read() if os.path.exists(doc) else ""
    if not text:
        text = ("# Benchmarks and sizes\n\n"
                "Generated: the benchmark section by `make bench`, the size section by "
                "`make size`. Do not edit between the markers.\n\n"
                "## Ours vs Dovecot\n\n<!-- begin bench -->\nNot run yet.\n<!-- end bench -->\n\n"
                "## Size\n\n<!-- begin size -->\nNot run yet.\n<!-- end size -->\n")
    if begin not in text:
        text += f"\n{begin}\n{end}\n"
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    with open(doc, "w") as fh:
        fh.write(f"{head}{begin}\n{body.rstrip()}\n{end}{tail}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--imapd", required=True)
    ap.add_argument("--loadgen", required=True)
    ap.add_argument("--out", default="build/bench")
    ap.add_argument("--doc", default="docs/benchmarks.md")
    ap.add_argument("--report-only", action="store_true",
                    help="rewrite the document from OUT/results.json")
    a = ap.parse_args()
    saved = os.path.join(a.out, "results.json")
    if a.report_only:
        with open(saved) as fh:
            data = json.load(fh)
        write_report(data["res"], data["machine"], data["when"], a.out, a.doc)
        return
    if os.geteuid() != 0:
        sys.exit("bench: run as root (Dovecot's mail processes switch to its user)")
    os.makedirs(a.out, exist_ok=True)
    load_before = loadavg()
    users = [f"user{i}" for i in range(1, USERS + 1)] + ["big", "many"]
    with open(os.path.join(a.out, "results.txt"), "w") as results:
        lg = Loadgen(os.path.abspath(a.loadgen), results)
        res = bench_all([Ours(a.out, os.path.abspath(a.imapd), users),
                         Dovecot(a.out, users)], lg, results)
    desc = machine(load_before)
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    with open(saved, "w") as fh:
        json.dump({"res": res, "machine": desc, "when": when}, fh, indent=1)
    write_report(res, desc, when, a.out, a.doc)


def write_report(res, desc, when, out, doc):
    svg = os.path.join(os.path.dirname(doc), "benchmarks.svg")
    plotted = plot(res, out, os.path.abspath(svg))
    body = report(res, desc, when, plotted)
    update_doc(doc, "bench", body)
    print(body)
    log(f"wrote {doc}" + (f" and {svg}" if plotted else ""))


if __name__ == "__main__":
    main()
