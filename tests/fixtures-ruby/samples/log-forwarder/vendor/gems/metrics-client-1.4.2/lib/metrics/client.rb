# frozen_string_literal: true

# metrics-client 1.4.2 (a replica, for hangsnap's samples): posts service
# metrics to a collector over HTTP, through http-adapter.

require 'json'
require 'http/adapter/net_http'

module Metrics
  class Client
    VERSION = '1.4.2'

    def initialize(endpoint, open_timeout: nil, read_timeout: nil)
      @adapter = Http::Adapter::NetHttp.new(endpoint, open_timeout: open_timeout, read_timeout: read_timeout)
    end

    def post_service_metrics(service, metrics)
      payload = JSON.generate('service' => service, 'metrics' => metrics, 'ts' => Time.now.to_i)
      @adapter.post("/v1/services/#{service}/metrics", payload)
    end
  end
end
