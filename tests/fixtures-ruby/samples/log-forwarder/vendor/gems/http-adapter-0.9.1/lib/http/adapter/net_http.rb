# frozen_string_literal: true

# http-adapter 0.9.1 (a replica, for hangsnap's samples): a tiny HTTP client
# adapter over Net::HTTP. Like many such adapters it passes its timeouts
# through as given: nil means no timeout at all, so a connect that never
# completes is waited for without a bound.

require 'net/http'
require 'uri'

module Http
  module Adapter
    class NetHttp
      VERSION = '0.9.1'

      def initialize(base_url, open_timeout: nil, read_timeout: nil, retry_forever: true)
        @uri = URI(base_url)
        @open_timeout = open_timeout
        @read_timeout = read_timeout
        @retry_forever = retry_forever
      end

      def post(path, body, headers = {})
        request = Net::HTTP::Post.new(path, { 'Content-Type' => 'application/json' }.merge(headers))
        request.body = body
        perform(request)
      end

      private

      # A connect that the kernel gives up on (ETIMEDOUT, after its SYN
      # retries) is retried at once, as "retry_forever" asks: the thread stays
      # in the same connect, on the same line, for ever.
      def perform(request)
        http = connection
        begin
          http.start { |conn| conn.request(request) }
        rescue Net::OpenTimeout, Errno::ETIMEDOUT
          raise unless @retry_forever

          http = connection
          retry
        end
      end

      def connection
        http = Net::HTTP.new(@uri.host, @uri.port)
        http.open_timeout = @open_timeout
        http.read_timeout = @read_timeout
        http
      end
    end
  end
end
