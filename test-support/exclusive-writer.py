# An application that holds its database the way Firefox, Zotero and Anki do: one
# connection in locking_mode=EXCLUSIVE, open the whole time, committing pairs of rows (one
# in pairs_a, one in pairs_b, in one transaction) back to back. Python's own sqlite3 module,
# not Pagevault's code or SQLite build.
#
#   python3 exclusive-writer.py DB JOURNAL_MODE [--gap-ms N] [--autocheckpoint N]
#       [--journal-size-limit N] [--payload N] [--hang-mid-transaction]
#
# Prints "ready" once it holds the lock (after its first commit). On SIGTERM it stops and
# prints {"commits": N, "busy": N, "p50Ms": x, "p99Ms": x, "maxMs": x}. Its busy timeout is
# 0, so a lock anyone else took would fail a commit: "busy" counts those.
# --hang-mid-transaction: after "ready", starts a transaction big enough to spill pages
# into the database file (rollback modes) or the WAL, prints "mid" and waits to be killed.
import argparse
import json
import signal
import sqlite3
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("path")
parser.add_argument("journal_mode")
parser.add_argument("--gap-ms", type=float, default=0)
parser.add_argument("--autocheckpoint", type=int, default=1000)
parser.add_argument("--journal-size-limit", type=int, default=-1)
parser.add_argument("--payload", type=int, default=100)
parser.add_argument("--hang-mid-transaction", action="store_true")
args = parser.parse_args()

db = sqlite3.connect(args.path, timeout=0, isolation_level=None)
db.execute("PRAGMA locking_mode = EXCLUSIVE")
db.execute(f"PRAGMA journal_mode = {args.journal_mode}")
db.execute(f"PRAGMA wal_autocheckpoint = {args.autocheckpoint}")
db.execute(f"PRAGMA journal_size_limit = {args.journal_size_limit}")
# The tables of test-support/databases.ts: a torn copy shows as unequal counts.
db.execute("CREATE TABLE IF NOT EXISTS pairs_a (k INTEGER PRIMARY KEY, v TEXT NOT NULL)")
db.execute("CREATE TABLE IF NOT EXISTS pairs_b (k INTEGER PRIMARY KEY, v TEXT NOT NULL)")
payload = "x" * args.payload


def commit():
    db.execute("BEGIN IMMEDIATE")
    pair()
    db.execute("COMMIT")


def pair():
    cursor = db.execute("INSERT INTO pairs_a (v) VALUES (?)", (payload,))
    db.execute("INSERT INTO pairs_b (k, v) VALUES (?, ?)", (cursor.lastrowid, payload))


commit()
print("ready", flush=True)

if args.hang_mid_transaction:
    db.execute("PRAGMA cache_size = 10")
    db.execute("BEGIN IMMEDIATE")
    for _ in range(2000):
        pair()
    db.execute("UPDATE pairs_a SET v = v || 'y'")
    print("mid", flush=True)
    while True:
        time.sleep(1)

stopping = False


def stop(*_):
    global stopping
    stopping = True


signal.signal(signal.SIGTERM, stop)
latencies = []
busy = 0
while not stopping:
    started = time.perf_counter()
    try:
        commit()
        latencies.append((time.perf_counter() - started) * 1000)
    except sqlite3.OperationalError as error:
        if "locked" not in str(error) and "busy" not in str(error):
            raise
        busy += 1
        if db.in_transaction:
            db.execute("ROLLBACK")
    if args.gap_ms > 0:
        time.sleep(args.gap_ms / 1000)

latencies.sort()


def at(q):
    return latencies[min(len(latencies) - 1, int(len(latencies) * q))] if latencies else 0


print(json.dumps({"commits": len(latencies), "busy": busy, "p50Ms": at(0.5), "p99Ms": at(0.99), "maxMs": latencies[-1] if latencies else 0}), flush=True)
db.close()
sys.exit(0)
