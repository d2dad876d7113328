"""subprocess-hang: a thread runs a child process that never finishes and
waits for it without a timeout; the main thread joins that thread.

  "runner": Job.run -> subprocess.run([sys.executable, "-c", CHILD]), no
            timeout: in Popen.wait (waitpid) on the child.
  child:    a Python process blocked in os.read on a pipe nobody writes to
            (the write end is open only in this process: when it dies the
            child reads end of file and exits).
  main:     joins runner, no timeout.

Expected (hanganalyze): a finding, or the runner's wait, naming the child pid.
Prints "ready PID runner=TID child=PID joiner=TID" once all wait.
Usage: python3 subprocess-hang.py [--oracle FILE]
"""
import os
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import hang_support  # noqa: E402

# the child: waits for a line on its inherited pipe, which never comes
CHILD = 'import os, sys; os.read(int(sys.argv[1]), 1)'


class Job(object):
    def __init__(self):
        self.read_end, self.write_end = os.pipe()
        self.result = None

    def run(self):
        self.result = subprocess.run([sys.executable, '-c', CHILD, str(self.read_end)],
                                     pass_fds=(self.read_end,))


def children_of(pid):
    """The pids whose parent is pid."""
    out = []
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % name) as f:
                ppid = int(f.read().rsplit(')', 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            out.append(int(name))
    return out


def wait_child_blocked(timeout=30.0):
    """The child's pid, once it is blocked in read."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in children_of(os.getpid()):
            try:
                with open('/proc/%d/syscall' % pid) as f:
                    nr = f.read().split()[0]
                with open('/proc/%d/cmdline' % pid, 'rb') as f:
                    cmd = f.read()
            except (OSError, IndexError):
                continue
            if b'os.read' in cmd and hang_support._SYSCALLS.get(int(nr) if nr.isdigit() else -1) == 'read':
                return pid
        time.sleep(0.02)
    raise RuntimeError('the child did not block in read')


def main():
    job = Job()
    runner = threading.Thread(target=job.run, name='runner')
    runner.start()
    child = wait_child_blocked()
    main_thread = threading.main_thread()
    hang_support.announce(
        [(runner, hang_support.CHILD_WAIT), (main_thread, hang_support.LOCK_WAIT)],
        lambda: [('runner', runner.native_id), ('child', child), ('joiner', main_thread.native_id)])
    runner.join()


if __name__ == '__main__':
    main()
