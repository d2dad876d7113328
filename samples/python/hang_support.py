"""Shared by the Python samples (samples/python/*.py).

Every sample starts its threads, then calls hang_support.announce() with the
threads that must be hung and the system calls they must be hung in.
announce() starts a helper thread named "oracle" that

  1. waits until each of those threads is blocked: in one of the expected
     system calls (/proc/self/task/TID/syscall), state S, with the same Python
     stack (sys._current_frames()) for several polls in a row;
  2. with --oracle FILE, writes FILE (FILE.tmp, then renamed) as JSON:
       {"version": "3.11.2", "implementation": "cpython", "pid": PID,
        "executable": sys.executable, "sample": "join-connect.py",
        "oracle_thread": {"ident": N, "native_id": TID, "name": "oracle"},
        "threads": [{"ident": N, "native_id": TID, "name": NAME,
                     "syscall": "futex", "frames": [
                        {"path": co_filename, "line": f_lineno,
                         "name": co_name, "qualname": co_qualname}, ...]}]}
     one entry per thread of sys._current_frames() except the oracle thread
     itself, frames innermost first (frame.f_back from the innermost one);
     "qualname" is co_qualname where code objects have one (3.11+), else
     co_name. Just before, FILE.faulthandler: faulthandler's dump of all
     threads, an independent (C-level) view of the same stacks;
  3. checks once more that no thread moved while the oracle was taken;
  4. prints "ready PID key=value..." on stdout and flushes;
  5. sleeps, for ever, in timed sleeps (one line of this file): its own stack
     never changes after the ready line.
If the threads do not block within 30 s, or one moves while the oracle is
taken, it prints why on stderr and ends the process (exit status 3).

Test knob: HS_PY_ORACLE_AGAIN=SECONDS makes the oracle thread, SECONDS after
the ready line, write FILE.again the same way (stability checks, see
tests/integration/python-oracle.py compare); its own stack changes then.

Runs unchanged on CPython 3.8 and later. Loopback only: the only addresses
used are on 127.0.0.1.
"""
import errno
import faulthandler
import json
import os
import platform
import select
import socket
import sys
import threading
import time

ORACLE_THREAD = 'oracle'

# System call numbers of the calls the samples block in, by machine.
_SYSCALLS = {
    'x86_64': {0: 'read', 7: 'poll', 23: 'select', 35: 'nanosleep', 42: 'connect', 61: 'wait4',
               202: 'futex', 219: 'restart_syscall', 230: 'clock_nanosleep', 232: 'epoll_wait',
               247: 'waitid', 270: 'pselect6', 271: 'ppoll', 281: 'epoll_pwait', 422: 'futex_time64'},
    'aarch64': {63: 'read', 72: 'pselect6', 73: 'ppoll', 95: 'waitid', 98: 'futex', 101: 'nanosleep',
                115: 'clock_nanosleep', 128: 'restart_syscall', 203: 'connect', 260: 'wait4',
                22: 'epoll_pwait'},
}.get(platform.machine(), {})

# What the usual waits block in (restart_syscall: the same call, resumed).
LOCK_WAIT = ('futex',)                      # Thread.join, Lock/RLock, Condition, Queue.get, Event
CONNECT = ('connect', 'poll', 'ppoll')      # a blocking connect (poll: after an EINTR)
CHILD_WAIT = ('wait4', 'waitid')            # os.waitpid, Popen.wait
SLEEP = ('select', 'pselect6', 'clock_nanosleep', 'nanosleep')  # time.sleep (select before 3.11)
READ = ('read',)


def oracle_path(argv=None):
    """The FILE of "--oracle FILE" in argv (default sys.argv), or None."""
    argv = sys.argv[1:] if argv is None else argv
    if '--oracle' not in argv:
        return None
    i = argv.index('--oracle')
    if i + 1 >= len(argv):
        sys.exit('--oracle needs a FILE')
    return argv[i + 1]


def plain_args(argv=None):
    """The arguments (default sys.argv[1:]) other than "--oracle FILE"."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if '--oracle' in argv:
        i = argv.index('--oracle')
        del argv[i:i + 2]
    return argv


def full_listener():
    """A loopback listener (backlog 0) whose accept queue is full of
    connections nobody accepts: the kernel drops every further SYN, so a new
    connection to it stays in SYN_SENT. Returns (listener, fillers, port);
    keep them all referenced (a collected socket is closed)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(('127.0.0.1', 0))
    listener.listen(0)
    addr = listener.getsockname()
    fillers = []
    for _ in range(64):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        fillers.append(s)
        err = s.connect_ex(addr)
        if err == 0:
            continue
        if err != errno.EINPROGRESS:
            raise OSError(err, os.strerror(err))
        _, writable, _ = select.select([], [s], [], 0.2)
        if not writable:
            # this handshake did not complete: the queue is full
            return listener, fillers, addr[1]
    raise RuntimeError('could not fill the accept queue of the loopback listener')


def syscall_of(tid):
    """The name (or number) of the system call thread tid is blocked in,
    'running', or None when the thread is gone."""
    try:
        with open('/proc/self/task/%d/syscall' % tid) as f:
            first = f.read().split()[0]
    except (OSError, IndexError):
        return None
    if not first.lstrip('-').isdigit():
        return first
    return _SYSCALLS.get(int(first), first)


def state_of(tid):
    """The state letter of thread tid (/proc/self/task/TID/stat), or None."""
    try:
        with open('/proc/self/task/%d/stat' % tid) as f:
            return f.read().rsplit(')', 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def frame_dict(frame):
    code = frame.f_code
    return {'path': code.co_filename, 'line': frame.f_lineno, 'name': code.co_name,
            'qualname': getattr(code, 'co_qualname', code.co_name)}


def stack_of(frame):
    """[frame_dict] from frame outwards: innermost first."""
    out = []
    while frame is not None:
        out.append(frame_dict(frame))
        frame = frame.f_back
    return out


def _thread_view(targets):
    """[(name, state, syscall, frames)] of each target thread, now."""
    frames = sys._current_frames()
    view = []
    for t, _ in targets:
        f = frames.get(t.ident)
        view.append((t.name, state_of(t.native_id), syscall_of(t.native_id),
                     stack_of(f) if f is not None else None))
    return view


def _blocked(targets, view):
    for (t, want), (_, state, sc, frames) in zip(targets, view):
        if state != 'S' or frames is None or sc in (None, 'running'):
            return False
        if want and sc not in want and sc != 'restart_syscall':
            return False
    return True


def _die(msg):
    sys.stderr.write('%s: %s\n' % (os.path.basename(sys.argv[0]), msg))
    sys.stderr.flush()
    os._exit(3)


def wait_blocked(targets, timeout=30.0, polls=5):
    """Waits until every (thread, expected syscalls) of targets is blocked
    (state S, in one of its syscalls, or any one when expected is None) and
    stays so, same syscall and same Python stack, for polls polls in a row."""
    deadline = time.monotonic() + timeout
    last = None
    stable = 0
    while True:
        now = _thread_view(targets)
        if now is not None and _blocked(targets, now) and now == last:
            stable += 1
            if stable >= polls:
                return now
        else:
            stable = 0
        last = now
        if time.monotonic() > deadline:
            _die('threads did not block: %r' % ([(n, st, sc, (fr or [{}])[0]) for n, st, sc, fr in now],))
        time.sleep(0.02)


def _atomic_write(path, text):
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)


def take_oracle():
    """The oracle document (see the top of this file), now."""
    me = threading.get_ident()
    by_ident = dict((t.ident, t) for t in threading.enumerate())
    frames = sys._current_frames()
    threads = []
    for ident in sorted(frames):
        if ident == me:
            continue
        t = by_ident.get(ident)
        if t is not None and t.name == ORACLE_THREAD:
            continue
        tid = getattr(t, 'native_id', None) if t is not None else None
        threads.append({'ident': ident, 'native_id': tid, 'name': t.name if t is not None else None,
                        'syscall': syscall_of(tid) if tid else None, 'frames': stack_of(frames[ident])})
    cur = threading.current_thread()
    return {'version': platform.python_version(), 'implementation': sys.implementation.name,
            'executable': sys.executable, 'pid': os.getpid(),
            'sample': os.path.basename(sys.argv[0]),
            'oracle_thread': {'ident': cur.ident, 'native_id': cur.native_id, 'name': cur.name},
            'threads': threads}


def write_faulthandler(path):
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        faulthandler.dump_traceback(f, all_threads=True)
    os.rename(tmp, path)


def write_oracle(path, targets):
    """Writes path.faulthandler and path; fails the sample if a target
    thread moved meanwhile."""
    before = _thread_view(targets)
    write_faulthandler(path + '.faulthandler')
    doc = take_oracle()
    after = _thread_view(targets)
    if before != after or not _blocked(targets, after):
        _die('a thread moved while the oracle was taken: %r -> %r' % (before, after))
    _atomic_write(path, json.dumps(doc, indent=1) + '\n')


def _oracle_main(targets, fields, path):
    try:
        wait_blocked(targets)
        if path:
            write_oracle(path, targets)
        kv = fields()
        line = ' '.join(['ready %d' % os.getpid()] + ['%s=%s' % (k, v) for k, v in kv])
        sys.stdout.write(line + '\n')
        sys.stdout.flush()
    except BaseException as e:  # a sample that cannot announce must not hang silently
        _die('oracle thread: %r' % (e,))
    again = os.environ.get('HS_PY_ORACLE_AGAIN')
    if path and again:
        time.sleep(float(again))
        write_oracle(path + '.again', targets)
    while True:
        time.sleep(3600)


def announce(targets, fields, path=None):
    """Starts the "oracle" thread (see the top of this file). targets:
    [(threading.Thread, expected syscalls or None)]; fields: a callable
    returning [(key, value)] for the ready line, called once they are
    blocked. path: the oracle FILE (default: --oracle FILE of sys.argv)."""
    if path is None:
        path = oracle_path()
    t = threading.Thread(target=_oracle_main, args=(list(targets), fields, path), name=ORACLE_THREAD)
    t.daemon = True
    t.start()
    return t


def native_ids(threads):
    return ','.join(str(t.native_id) for t in threads)
