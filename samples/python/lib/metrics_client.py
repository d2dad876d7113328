"""metrics_client: a small client for a metrics collector's HTTP endpoint
(a stand-in for a vendored metrics SDK).

MetricsClient(host, port).post_service_metrics(service, points) opens a
connection with socket.create_connection, no timeout (as the SDK it imitates
does by default), and POSTs the points as JSON: the connect is waited for
without a bound; when the kernel gives up on it
(ETIMEDOUT, ~2 minutes in SYN_SENT) the client retries at once, on the same
line, for ever (retry_forever=True). Loopback only in the samples.
"""
import json
import socket


class MetricsClient(object):
    def __init__(self, host, port, retry_forever=True):
        self.address = (host, port)
        self.retry_forever = retry_forever

    def post_service_metrics(self, service, points):
        body = json.dumps({'service': service, 'points': points}).encode()
        conn = self._connect()
        try:
            head = ('POST /v1/metrics HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n'
                    'Content-Length: %d\r\nConnection: close\r\n\r\n' % (self.address[0], self.address[1], len(body)))
            conn.sendall(head.encode() + body)
            return conn.recv(4096)
        finally:
            conn.close()

    def _connect(self):
        while True:
            try:
                # no timeout: the socket is blocking, the connect unbounded
                return socket.create_connection(self.address)
            except OSError:
                if not self.retry_forever:
                    raise
