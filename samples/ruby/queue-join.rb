# frozen_string_literal: true

# queue-join: a consumer thread waits on an empty Queue nobody pushes to; the
# main thread's shutdown joins it, without a timeout, so it never returns.
#
#   "consumer": JobConsumer#run, in Queue#pop of an empty queue.
#   main:       Service#shutdown, in Thread#join on the consumer.
#
# Expected finding (hanganalyze): one naming consumer and Queue (the join
# waits on a thread that waits on a queue no thread will push to).
# Prints "ready PID consumer=TID joiner=TID" once both wait.
# Usage: ruby queue-join.rb [--oracle FILE]

require_relative 'lib/hang_support'

class JobConsumer
  attr_reader :thread

  def initialize(jobs)
    @jobs = jobs
    @processed = 0
  end

  def start
    @thread = Thread.new { run }
    @thread.name = 'consumer'
    self
  end

  def run
    while (job = @jobs.pop)
      process(job)
    end
  end

  def process(job)
    @processed += 1 if job
  end
end

class Service
  def initialize
    @jobs = Queue.new # the producer was never started: nothing is ever pushed
    @consumer = JobConsumer.new(@jobs).start
  end

  def consumer_thread
    @consumer.thread
  end

  # waits for the consumer to drain the queue; it never closes the queue, so
  # the consumer never sees the end
  def shutdown
    @consumer.thread.join
  end
end

service = Service.new
HangSupport.announce([service.consumer_thread, Thread.main]) do
  { 'consumer' => service.consumer_thread.native_thread_id, 'joiner' => Thread.main.native_thread_id }
end
service.shutdown
