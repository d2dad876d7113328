"""deep-threads: for benchmarks of the Python stack walker. N threads
("deep-1".."deep-N", default 200), each DEPTH Python frames of this file deep
(default 30; a Walker.descend -> visit -> expand cycle, below Walker.run),
each blocked at the bottom in queue.Queue.get() of a queue of its own nobody
puts to. The main thread joins them.

Prints "ready PID threads=N depth=DEPTH" once all wait.
Usage: python3 deep-threads.py [N [DEPTH]] [--oracle FILE]
"""
import os
import queue
import sys
import threading

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import hang_support  # noqa: E402


class Walker(object):
    def __init__(self, depth):
        self.depth = depth
        self.inbox = queue.Queue()

    # frame 1 of DEPTH
    def run(self):
        if self.depth <= 1:
            return self.inbox.get()
        return self.descend(2)

    def descend(self, level):
        if level >= self.depth:
            return self.inbox.get()
        return self.visit(level + 1)

    def visit(self, level):
        if level >= self.depth:
            return self.inbox.get()
        return self.expand(level + 1)

    def expand(self, level):
        if level >= self.depth:
            return self.inbox.get()
        return self.descend(level + 1)


def main():
    args = hang_support.plain_args()
    n = int(args[0]) if len(args) > 0 else 200
    depth = int(args[1]) if len(args) > 1 else 30
    if depth < 1 or n < 1:
        sys.exit('usage: deep-threads.py [N [DEPTH]] [--oracle FILE]')
    sys.setrecursionlimit(max(sys.getrecursionlimit(), depth + 100))
    threads = []
    for i in range(n):
        w = Walker(depth)
        t = threading.Thread(target=w.run, name='deep-%d' % (i + 1))
        t.daemon = True
        threads.append(t)
        t.start()
    main_thread = threading.main_thread()
    hang_support.announce(
        [(t, hang_support.LOCK_WAIT) for t in threads] + [(main_thread, hang_support.LOCK_WAIT)],
        lambda: [('threads', n), ('depth', depth)])
    for t in threads:
        t.join()


if __name__ == '__main__':
    main()
