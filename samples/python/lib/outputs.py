"""outputs: the shipper's output plugins.

MetricsOutput.flush() sends the buffered points through metrics_client.
"""
import metrics_client


class MetricsOutput(object):
    def __init__(self, host, port, flush_interval=10.0):
        self.client = metrics_client.MetricsClient(host, port)
        self.flush_interval = flush_interval
        self.buffer = [{'name': 'requests', 'value': 1}]

    def flush(self):
        chunk = list(self.buffer)
        return self.client.post_service_metrics('api', chunk)
