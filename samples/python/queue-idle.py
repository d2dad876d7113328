"""queue-idle: a healthy, idle worker pool: nothing is wrong, there is just
no work.

  "worker-1".."worker-4": Pool._work, each in queue.Queue.get() (no timeout)
                          of the shared, empty job queue.
  main:                   Pool.serve, in a time.sleep(60) housekeeping loop.

Expected: no finding at severity high or critical.
Prints "ready PID workers=T1,T2,T3,T4 main=TID" once all wait.
Usage: python3 queue-idle.py [--oracle FILE]
"""
import os
import queue
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import hang_support  # noqa: E402


class Pool(object):
    SIZE = 4
    HOUSEKEEPING_INTERVAL = 60.0

    def __init__(self):
        self.jobs = queue.Queue()
        self.done = 0
        self.workers = [threading.Thread(target=self._work, name='worker-%d' % (i + 1))
                        for i in range(self.SIZE)]
        for t in self.workers:
            t.daemon = True

    def start(self):
        for t in self.workers:
            t.start()

    def _work(self):
        while True:
            job = self.jobs.get()
            try:
                job()
                self.done += 1
            finally:
                self.jobs.task_done()

    def serve(self):
        while True:
            time.sleep(self.HOUSEKEEPING_INTERVAL)
            self.housekeeping()

    def housekeeping(self):
        return self.jobs.qsize()


def main():
    pool = Pool()
    pool.start()
    main_thread = threading.main_thread()
    hang_support.announce(
        [(t, hang_support.LOCK_WAIT) for t in pool.workers] + [(main_thread, hang_support.SLEEP)],
        lambda: [('workers', hang_support.native_ids(pool.workers)), ('main', main_thread.native_id)])
    pool.serve()


if __name__ == '__main__':
    main()
