# frozen_string_literal: true

# log-forwarder: a replica of a log-forwarding daemon (fluentd-like) whose
# shutdown hangs: it joins an output thread that is stuck connecting.
#
#   "out_metrics": LogForwarder::MetricsOutput#flush ->
#                  Metrics::Client#post_service_metrics (gem metrics-client) ->
#                  Http::Adapter::NetHttp#post (gem http-adapter) -> Net::HTTP,
#                  open_timeout and read_timeout nil, connecting to a loopback
#                  collector whose accept queue is full: the connection stays
#                  in SYN_SENT and the connect is waited for without a bound.
#   main:          LogForwarder::Agent#shutdown, on the "shutdown" command,
#                  calls Thread#join on out_metrics, no timeout.
#
# The gems are loaded from vendor/gems/NAME-VERSION/lib (whatever versions are
# there), as bundler's standalone mode lays them out.
#
# Expected finding (hanganalyze): join-on-blocked (main joins out_metrics,
# which is in connect to 127.0.0.1:PORT, SYN_SENT, no timeout), with the Ruby
# locations of the join in Agent#shutdown and of post_service_metrics.
# Prints "ready PID joiner=TID target=TID port=PORT" once both wait.
# Usage: ruby agent.rb [--oracle FILE]

Dir[File.join(__dir__, 'vendor', 'gems', '*', 'lib')].sort.each { |dir| $LOAD_PATH.unshift(dir) }
require 'metrics/client'
require_relative '../lib/hang_support'

module LogForwarder
  class MetricsOutput
    attr_reader :thread

    def initialize(endpoint, flush_interval: 10)
      @client = Metrics::Client.new(endpoint, open_timeout: nil, read_timeout: nil)
      @flush_interval = flush_interval
      @buffer = [{ 'name' => 'requests', 'value' => 1 }]
    end

    def start
      @thread = Thread.new { run }
      @thread.name = 'out_metrics'
      self
    end

    def run
      loop do
        flush
        sleep @flush_interval
      end
    end

    def flush
      chunk = @buffer.dup
      @client.post_service_metrics('api', chunk)
    end
  end

  class Agent
    attr_reader :output

    def initialize(endpoint)
      @output = MetricsOutput.new(endpoint)
    end

    def start
      @output.start
    end

    def handle_command(command)
      case command
      when 'shutdown' then shutdown
      end
    end

    # waits for the outputs to flush and stop
    def shutdown
      @output.thread.join
    end
  end
end

# the collector: a loopback listener that never accepts, its queue full
collector = HangSupport.full_listener
agent = LogForwarder::Agent.new("http://127.0.0.1:#{collector[2]}")
agent.start
HangSupport.announce([agent.output.thread, Thread.main]) do
  { 'joiner' => Thread.main.native_thread_id, 'target' => agent.output.thread.native_thread_id,
    'port' => collector[2] }
end
agent.handle_command('shutdown')
