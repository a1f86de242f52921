#!/usr/bin/env python3
"""故障注入 · Fault script: runs every fault case against real `duijie`
processes and prints one line per case (case, expected, observed, verdict).

    scripts/faults.py [--only CASE ...] [--skip CASE ...]

Needs: a built binary (DUIJIE_BIN, default target/debug/duijie), PostgreSQL
on 127.0.0.1:5432 (trust auth, user postgres; each case makes its own
database), and root for the disk cases (tmpfs and read-only bind mounts).
The `pg_restart` case stops and starts the local PostgreSQL cluster: do not
run it while something else uses that server.
Exit status: 0 when every case passed, 1 otherwise.
"""

import argparse
import http.server
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import urllib.parse
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("DUIJIE_BIN", os.path.join(ROOT, "target", "debug", "duijie"))
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PASSWORD = "fault-test-password"


def psql(sql, db="postgres"):
    out = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-Atc", sql],
        capture_output=True, text=True, check=True)
    return out.stdout.strip()


class Env:
    """A data directory and a fresh database (PostgreSQL unless `sqlite`)."""

    def __init__(self, name, sqlite=False, data_dir=None):
        self.dir = tempfile.mkdtemp(prefix=f"duijie-fault-{name}-")
        self.data = data_dir or os.path.join(self.dir, "data")
        os.makedirs(self.data, exist_ok=True)
        self.db = None
        if sqlite:
            self.url = f"sqlite://{self.data}/duijie.db?mode=rwc"
        else:
            self.db = f"duijie_fault_{name}_{uuid.uuid4().hex[:8]}"
            psql(f'CREATE DATABASE "{self.db}"')
            self.url = f"{PG_SERVER}/{self.db}"

    def env(self, **extra):
        e = dict(os.environ)
        e.update(DUIJIE_DATA_DIR=self.data, DUIJIE_DATABASE_URL=self.url, RUST_LOG="warn")
        e.update({k: str(v) for k, v in extra.items()})
        return e

    def cli(self, *args, stdin=None):
        return subprocess.run([BIN, *args], env=self.env(), input=stdin,
                              capture_output=True, text=True)

    def count(self, table):
        if self.db:
            return int(psql(f"SELECT count(*) FROM {table}", self.db))
        with sqlite3.connect(os.path.join(self.data, "duijie.db")) as c:
            return c.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def user_token(self, username, role, org=None):
        args = ["user", "add", username, "--role", role, "--password-stdin"]
        if org:
            args += ["--org", org]
        self.cli(*args, stdin=PASSWORD + "\n")
        out = self.cli("token", "create", username, "--name", "faults").stdout
        return next(w for w in out.split() if w.startswith("dj_"))

    def index_check(self):
        r = self.cli("reindex", "--check")
        return r.returncode == 0, r.stdout.strip()

    def close(self):
        if self.db:
            try:
                psql(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')
            except subprocess.CalledProcessError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)


class Server:
    def __init__(self, env, *extra_args, **extra_env):
        self.proc = subprocess.Popen(
            [BIN, "serve", "--bind", "127.0.0.1:0", *extra_args],
            env=env.env(**extra_env), stdout=subprocess.PIPE,
            stderr=open(os.path.join(env.dir, "serve.err"), "ab"), text=True)
        line = self.proc.stdout.readline()
        if "http://" not in line:
            raise RuntimeError(f"server did not start: {line!r}")
        addr = line.split("http://", 1)[1].split()[0]
        self.base = f"http://{addr}"
        # Keep reading stdout so the server never blocks on a full pipe.
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill9()


def call(method, url, body=None, token=None, timeout=20):
    """(status, content type, parsed JSON or text)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, ctype, raw = r.status, r.headers.get("content-type", ""), r.read()
    except urllib.error.HTTPError as e:
        status, ctype, raw = e.code, e.headers.get("content-type", ""), e.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
        return 0, "", str(e)
    try:
        return status, ctype, json.loads(raw)
    except ValueError:
        return status, ctype, raw.decode("utf-8", "replace")


def wait_until(predicate, seconds, step=0.25):
    end = time.time() + seconds
    while time.time() < end:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def need_body(i):
    return {
        "title": f"焦炉煤气精脱硫剂寿命短（故障测试 {i}）",
        "description": "焦炉煤气精脱硫剂更换频繁，出口硫化氢含量波动，影响下游甲醇合成催化剂寿命。"
                       "希望与高校或科研院所合作开发长寿命脱硫剂并在生产线上验证，预算约80万元。",
        "field": "coal_chem",
        "keywords": ["精脱硫", "焦炉煤气"],
        "cooperation": ["tech_development"],
    }


def enterprise_org(server):
    orgs = call("GET", f"{server.base}/api/v1/organizations?per_page=100")[2]["items"]
    return next(o["id"] for o in orgs if o["kind"] == "enterprise")


CORPUS = None


def corpus():
    """A generated corpus of 8k needs and 8k capabilities, made once."""
    global CORPUS
    if CORPUS is None:
        CORPUS = tempfile.mkdtemp(prefix="duijie-fault-corpus-")
        subprocess.run([BIN, "gen", CORPUS, "--needs", "8000", "--capabilities", "8000",
                        "--seed", "11"], check=True, capture_output=True)
    return CORPUS


# ---------------------------------------------------------------- cases

def case_import_kill():
    env = Env("import")
    try:
        env.cli("migrate")
        p = subprocess.Popen([BIN, "import", corpus()], env=env.env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: env.count("needs") > 1000 or p.poll() is not None, 120, 0.05)
        p.send_signal(signal.SIGKILL)
        p.wait()
        partial = env.count("needs") + env.count("capabilities")
        rerun = env.cli("import", corpus())
        needs, caps = env.count("needs"), env.count("capabilities")
        ok = rerun.returncode == 0 and needs == 8000 and caps == 8000 and partial < 16000
        return ok, (f"killed with {partial}/16000 records; rerun exit={rerun.returncode} "
                    f"needs={needs} capabilities={caps}")
    finally:
        env.close()


def case_indexing_kill():
    env = Env("indexing")
    try:
        env.cli("migrate")
        server = Server(env)
        imp = subprocess.Popen([BIN, "import", corpus()], env=env.env(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        imp.wait()
        time.sleep(0.3)  # the server is now indexing the import
        server.kill9()
        lag_ok, lag = env.index_check()
        server = Server(env)
        started = time.time()
        converged = wait_until(lambda: env.index_check()[0], 180, 1.0)
        took = time.time() - started
        _, final = env.index_check()
        server.stop()
        return converged and not lag_ok, (
            f"after kill: {lag.split(' build')[0]}; after restart: "
            f"{final.split(' build')[0]} in {took:.1f}s")
    finally:
        env.close()


class Receiver(http.server.ThreadingHTTPServer):
    """A slow webhook receiver that records delivery ids."""

    def __init__(self):
        self.seen = set()
        self.posts = 0
        self.lock = threading.Lock()

        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("content-length", "0"))
                self.rfile.read(length)
                time.sleep(1.0)
                with receiver.lock:
                    receiver.posts += 1
                    receiver.seen.add(self.headers.get("x-duijie-delivery"))
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


def case_webhook_kill():
    env = Env("webhook")
    receiver = Receiver()
    try:
        server = Server(env, "--demo", DUIJIE_WEBHOOK_ALLOW_PRIVATE=1)
        admin = env.user_token("fault-admin", "admin")
        staff = env.user_token("fault-staff", "program_staff")
        url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
        st, _, body = call("POST", f"{server.base}/api/v1/webhooks",
                           {"url": url, "events": ["match.state_changed"]}, admin)
        if st != 201:
            return False, f"webhook subscription failed: {st} {body}"
        _, _, needs = call("GET", f"{server.base}/api/v1/needs?per_page=30", token=staff)
        _, _, caps = call("GET", f"{server.base}/api/v1/capabilities?per_page=30", token=staff)
        acked = 0
        for n, c in zip(needs["items"], caps["items"]):
            st, _, m = call("POST", f"{server.base}/api/v1/matches",
                            {"need_id": n["id"], "capability_id": c["id"]}, staff)
            if st != 201:
                continue
            st, _, _ = call("POST", f"{server.base}/api/v1/matches/{m['id']}/transitions",
                            {"to": "shortlisted", "version": m["version"]}, staff)
            acked += st == 200
        # Deliveries take a second each: kill once some have arrived, while
        # one is in flight and most are still queued.
        wait_until(lambda: len(receiver.seen) >= 2, 30, 0.05)
        time.sleep(0.5)
        before = len(receiver.seen)
        server.kill9()
        server = Server(env, DUIJIE_WEBHOOK_ALLOW_PRIVATE=1)
        events = env.count("webhook_outbox")
        ok = wait_until(lambda: len(receiver.seen - {None}) >= events, 120, 0.5)
        server.stop()
        seen = len(receiver.seen - {None})
        return ok and events >= acked > 0, (
            f"{acked} transitions acknowledged, {events} events; {before} delivered before "
            f"kill -9, {seen} distinct after restart ({receiver.posts} POSTs)")
    finally:
        receiver.shutdown()
        env.close()


def case_pg_restart():
    env = Env("pgrestart")
    stop = threading.Event()
    acked, answers = [], []
    try:
        server = Server(env, "--demo")
        token = env.user_token("fault-ent", "enterprise_member", org=enterprise_org(server))
        down = threading.Event()

        def load():
            i = 0
            while not stop.is_set():
                i += 1
                st, ctype, body = call("POST", f"{server.base}/api/v1/needs", need_body(i), token,
                                       timeout=30)
                answers.append((down.is_set(), st, ctype))
                if st == 201:
                    acked.append(body["id"])
                time.sleep(0.02)

        threads = [threading.Thread(target=load) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(2)
        subprocess.run(["pg_ctlcluster", "15", "main", "stop", "-m", "fast"], check=True)
        # Down only once the server no longer answers at all.
        wait_until(lambda: subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"]).returncode == 2,
                   30, 0.1)
        down.set()
        time.sleep(15)
        down.clear()
        subprocess.run(["pg_ctlcluster", "15", "main", "start"], check=True)
        back_at = time.time()
        recovered = wait_until(lambda: call("GET", f"{server.base}/readyz")[0] == 200, 60, 0.5)
        took = time.time() - back_at
        time.sleep(2)
        stop.set()
        for t in threads:
            t.join()
        server.stop()
        during = [a for a in answers if a[0]]
        problem_503 = [a for a in during if a[1] == 503 and "problem+json" in a[2]]
        stored = set(psql("SELECT external_id FROM needs", env.db).split())
        missing = [i for i in acked if i not in stored]
        ok = recovered and during and len(problem_503) == len(during) and not missing
        others = sorted({(st, ct.split(";")[0]) for _, st, ct in during if st != 503})
        return ok, (f"while down {len(problem_503)}/{len(during)} answers were 503 problem+json"
                    f"{f' (others: {others})' if others else ''}; "
                    f"recovered in {took:.1f}s without restart; {len(acked)} acknowledged writes, "
                    f"{len(missing)} missing")
    finally:
        stop.set()
        subprocess.run(["pg_ctlcluster", "15", "main", "start"], capture_output=True)
        env.close()


def case_index_deleted():
    env = Env("indexdel")
    try:
        env.cli("migrate")
        env.cli("import", corpus())
        server = Server(env)
        wait_until(lambda: env.index_check()[0], 180, 1.0)
        server.stop()
        shutil.rmtree(os.path.join(env.data, "index"))
        server = Server(env)
        st_list = call("GET", f"{server.base}/api/v1/needs?per_page=5")[0]
        q = urllib.parse.quote("脱硫")
        st_search, ctype, _ = call("GET", f"{server.base}/api/v1/search?q={q}")
        started = time.time()
        rebuilt = wait_until(lambda: env.index_check()[0], 180, 1.0)
        took = time.time() - started
        st_after = call("GET", f"{server.base}/api/v1/search?q={q}")[0]
        server.stop()
        first = f"{st_search}{' problem+json' if 'problem' in ctype else ''}"
        ok = st_list == 200 and st_search in (200, 503) and rebuilt and st_after == 200
        return ok, (f"list {st_list} and search {first} right after start; index rebuilt "
                    f"in {took:.1f}s; search then {st_after}")
    finally:
        env.close()


def case_disk_full():
    mount = tempfile.mkdtemp(prefix="duijie-fault-full-")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", mount], check=True)
    env = Env("full", sqlite=True, data_dir=os.path.join(mount, "data"))
    try:
        server = Server(env, "--demo")
        token = env.user_token("fault-ent", "enterprise_member", org=enterprise_org(server))
        before = env.count("needs")
        filler = os.path.join(mount, "filler")
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=64k"], capture_output=True)
        statuses = []
        for i in range(20):
            statuses.append(call("POST", f"{server.base}/api/v1/needs", need_body(i), token))
        codes = sorted({(s, b.get("code") if isinstance(b, dict) else "") for s, _, b in statuses})
        alive = call("GET", f"{server.base}/api/v1/needs?per_page=1")[0]
        os.remove(filler)
        after_free = call("POST", f"{server.base}/api/v1/needs", need_body(99), token)[0]
        accepted = sum(1 for s, _, _ in statuses if s == 201)
        time.sleep(2)
        server.stop()
        with sqlite3.connect(os.path.join(env.data, "duijie.db")) as c:
            integrity = c.execute("PRAGMA integrity_check").fetchone()[0]
        count = env.count("needs")
        index_ok, _ = env.index_check()
        refused_clearly = all(s in (201, 507) for s, _, _ in statuses) and accepted < 20
        ok = (refused_clearly and alive == 200 and after_free == 201 and integrity == "ok"
              and count == before + accepted + 1 and index_ok)
        return ok, (f"writes while full answered {codes}; reads {alive}; after freeing "
                    f"{after_free}; integrity={integrity}; rows={count} (= {before}+{accepted}+1); "
                    f"index {'equal' if index_ok else 'DIFFERS'}")
    finally:
        env.close()
        subprocess.run(["umount", "-l", mount], capture_output=True)
        shutil.rmtree(mount, ignore_errors=True)


def case_read_only():
    env = Env("readonly", sqlite=True)
    ro = tempfile.mkdtemp(prefix="duijie-fault-ro-")
    try:
        server = Server(env, "--demo")
        server.stop()
        before = env.count("needs")
        subprocess.run(["mount", "--bind", env.data, ro], check=True)
        subprocess.run(["mount", "-o", "remount,bind,ro", ro], check=True)
        ro_env = Env("readonly2", sqlite=True, data_dir=ro)
        ro_env.url = f"sqlite://{ro}/duijie.db?mode=rwc"
        p = subprocess.run([BIN, "serve", "--bind", "127.0.0.1:0"], env=ro_env.env(),
                           capture_output=True, text=True, timeout=60)
        message = (p.stderr.strip().splitlines() or [""])[-1]
        subprocess.run(["umount", ro], check=True)
        after = env.count("needs")
        clear = p.returncode != 0 and "不可写" in p.stderr and "not writable" in p.stderr
        return clear and after == before, (
            f"serve exit={p.returncode}: {message[:160]!r}; needs before={before} after={after}")
    finally:
        subprocess.run(["umount", ro], capture_output=True)
        shutil.rmtree(ro, ignore_errors=True)
        env.close()


CASES = [
    ("import_kill", "kill -9 during import; rerun completes the rest", case_import_kill),
    ("indexing_kill", "kill -9 while indexing; index equals database after restart",
     case_indexing_kill),
    ("webhook_kill", "kill -9 during webhook delivery; every event delivered >= once",
     case_webhook_kill),
    ("index_deleted", "index deleted while stopped; answers at once, index rebuilt",
     case_index_deleted),
    ("disk_full", "disk full: writes refused with 507 problem, no corruption", case_disk_full),
    ("read_only", "read-only data dir: clear error at start, nothing changed", case_read_only),
    ("pg_restart", "PostgreSQL stopped under load: 503 problem+json, recovers, nothing lost",
     case_pg_restart),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="*", default=[])
    ap.add_argument("--skip", nargs="*", default=[])
    args = ap.parse_args()
    if not os.access(BIN, os.X_OK):
        sys.exit(f"没有可执行文件 {BIN} · build first (cargo build) or set DUIJIE_BIN")
    failed = 0
    for name, expected, fn in CASES:
        if (args.only and name not in args.only) or name in args.skip:
            continue
        started = time.time()
        try:
            ok, observed = fn()
        except Exception as e:  # a case that crashes is a failed case
            ok, observed = False, f"error: {type(e).__name__}: {e}"
        failed += not ok
        print(f"case={name} | expected: {expected} | observed: {observed} | "
              f"{'PASS' if ok else 'FAIL'} ({time.time() - started:.0f}s)", flush=True)
    if CORPUS:
        shutil.rmtree(CORPUS, ignore_errors=True)
    print(f"faults: {'all passed' if not failed else f'{failed} failed'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
