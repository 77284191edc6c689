# Whether another process holds a SQLite database's lock, asked without taking any: the
# fcntl F_GETLK query of SQLite's shared-lock range (in os_unix.c: PENDING_BYTE 0x40000000,
# the SHARED range the 510 bytes from PENDING_BYTE + 2). A writer holding the database
# (an EXCLUSIVE lock) has a write lock there, so a read lock would conflict.
#
#   python3 lock-probe.py DB    prints "held" (a write lock is there) or "free"
import fcntl
import os
import struct
import sys

PENDING_BYTE = 0x40000000
SHARED_FIRST = PENDING_BYTE + 2
SHARED_SIZE = 510

fd = os.open(sys.argv[1], os.O_RDONLY)
try:
    # struct flock on Linux: l_type, l_whence (short), l_start, l_len (off_t), l_pid (pid_t).
    asked = struct.pack("hhqqi4x", fcntl.F_RDLCK, os.SEEK_SET, SHARED_FIRST, SHARED_SIZE, 0)
    lock_type = struct.unpack("hhqqi4x", fcntl.fcntl(fd, fcntl.F_GETLK, asked))[0]
finally:
    os.close(fd)
print("held" if lock_type == fcntl.F_WRLCK else "free")
