"""launcher-join: a healthy launcher: the main thread starts the service's
worker and joins it, as a JVM's launcher joins its main thread or a
supervisor waits for its worker; the worker is asleep in its housekeeping
loop (time.sleep(3600)). Nothing is stuck: the join waits for a thread
whose wait has a timeout.

  "worker": Service.run, in time.sleep(3600) (clock_nanosleep, an absolute
            deadline on 3.11+, a relative one before).
  main:     Launcher.main, joining the worker, no timeout.

Expected: join-on-blocked at low at most (never high or critical), and the
sleep's remaining time, not the deadline's raw value, a little under 3600 s.
Prints "ready PID joiner=TID worker=TID" once both wait.
Usage: python3 launcher-join.py [--oracle FILE]
"""
import os
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import hang_support  # noqa: E402


class Service(object):
    HOUSEKEEPING_INTERVAL = 3600.0

    def run(self):
        while True:
            time.sleep(self.HOUSEKEEPING_INTERVAL)


class Launcher(object):
    def main(self):
        worker = threading.Thread(target=Service().run, name='worker')
        worker.daemon = True
        worker.start()
        main_thread = threading.main_thread()
        hang_support.announce(
            [(worker, hang_support.SLEEP), (main_thread, hang_support.LOCK_WAIT)],
            lambda: [('joiner', main_thread.native_id), ('worker', worker.native_id)])
        worker.join()


if __name__ == '__main__':
    Launcher().main()
