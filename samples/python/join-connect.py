"""join-connect: a replica of a log-shipping daemon whose shutdown hangs: it
joins an output thread that is stuck connecting.

  "output": Shipper._output_loop -> outputs.MetricsOutput.flush (lib/outputs.py)
            -> metrics_client.MetricsClient.post_service_metrics
            (lib/metrics_client.py) -> socket.create_connection, no timeout,
            to a loopback collector whose accept queue is full: the
            connection stays in SYN_SENT, the connect is waited for without
            a bound (and retried at once should the kernel give up).
  main:     Shipper.shutdown, on the "shutdown" command, calls join() on
            the output thread, with no timeout.

Expected finding (hanganalyze): join-on-blocked (main joins output, which is
in connect to 127.0.0.1:PORT, SYN_SENT, no timeout), with the Python
locations of the join in Shipper.shutdown and of the create_connection call
in metrics_client.py.
Prints "ready PID joiner=TID target=TID port=PORT" once both wait.
Usage: python3 join-connect.py [--oracle FILE]
"""
import os
import sys
import threading

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, 'lib'))
sys.path.insert(0, HERE)

import hang_support  # noqa: E402
import outputs  # noqa: E402


class Shipper(object):
    def __init__(self, host, port):
        self.metrics = outputs.MetricsOutput(host, port)
        self.stopping = threading.Event()
        self.output = threading.Thread(target=self._output_loop, name='output')

    def start(self):
        self.output.start()

    def _output_loop(self):
        while not self.stopping.is_set():
            self.metrics.flush()
            self.stopping.wait(self.metrics.flush_interval)

    def handle_command(self, command):
        if command == 'shutdown':
            self.shutdown()

    # waits for the output to flush and stop
    def shutdown(self):
        self.stopping.set()
        self.output.join()


def main():
    # the collector: a loopback listener that never accepts, its queue full
    collector = hang_support.full_listener()
    shipper = Shipper('127.0.0.1', collector[2])
    shipper.start()
    main_thread = threading.main_thread()
    hang_support.announce(
        [(shipper.output, hang_support.CONNECT), (main_thread, hang_support.LOCK_WAIT)],
        lambda: [('joiner', main_thread.native_id), ('target', shipper.output.native_id),
                 ('port', collector[2])])
    shipper.handle_command('shutdown')
    return collector


if __name__ == '__main__':
    main()
