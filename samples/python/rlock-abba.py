"""rlock-abba: two threads deadlocked on two threading.RLocks taken in
opposite orders (ABBA), the main thread joining both.

  "reloader": ConfigStore.reload holds config_lock (with), waits for cache_lock.
  "flusher":  ConfigStore.flush  holds cache_lock (with),  waits for config_lock.
  main:       joins reloader (then flusher), no timeout.

With --plain, the two locks are threading.Lock()s, which record no owner.
Expected finding (hanganalyze): lock-cycle naming reloader and flusher (with
--plain, a probable one: each holder is the thread whose frames still refer
to the lock).
Prints "ready PID reloader=TID flusher=TID joiner=TID" once all three wait.
Usage: python3 rlock-abba.py [--plain] [--oracle FILE]
"""
import os
import sys
import threading

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import hang_support  # noqa: E402


class ConfigStore(object):
    def __init__(self):
        make = threading.Lock if '--plain' in hang_support.plain_args() else threading.RLock
        self.config_lock = make()
        self.cache_lock = make()
        self.config = {'ttl': 30}
        self.cache = {}
        # so that the two threads surely interleave into the deadlock
        self.both_hold = threading.Barrier(2)

    # config, then cache
    def reload(self):
        with self.config_lock:
            self.both_hold.wait()
            with self.cache_lock:
                self.cache.clear()

    # cache, then config
    def flush(self):
        with self.cache_lock:
            self.both_hold.wait()
            with self.config_lock:
                self.config.update(self.cache)


def main():
    store = ConfigStore()
    reloader = threading.Thread(target=store.reload, name='reloader')
    flusher = threading.Thread(target=store.flush, name='flusher')
    reloader.start()
    flusher.start()
    main_thread = threading.main_thread()
    hang_support.announce(
        [(reloader, hang_support.LOCK_WAIT), (flusher, hang_support.LOCK_WAIT),
         (main_thread, hang_support.LOCK_WAIT)],
        lambda: [('reloader', reloader.native_id), ('flusher', flusher.native_id),
                 ('joiner', main_thread.native_id)])
    for t in (reloader, flusher):
        t.join()


if __name__ == '__main__':
    main()
