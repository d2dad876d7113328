# frozen_string_literal: true

# deep-threads: for benchmarks of the Ruby stack walker. N threads
# ("deep-1".."deep-N"), each DEPTH Ruby frames deep (a Walker#descend ->
# #visit -> #expand cycle), each blocked at the bottom in Queue#pop of a queue
# of its own nobody pushes to. The main thread joins them.
#
# Prints "ready PID threads=N depth=DEPTH tids=T1,T2,..." once all wait.
# Usage: ruby deep-threads.rb [N [DEPTH]] [--oracle FILE]  (defaults 8 and 200)
# A very deep DEPTH needs a bigger Ruby VM stack: RUBY_THREAD_VM_STACK_SIZE.

require_relative 'lib/hang_support'

class Walker
  def initialize(depth)
    @depth = depth
    @inbox = Queue.new
  end

  # each of descend, visit and expand is one Ruby frame
  def descend(level)
    return @inbox.pop if level >= @depth - 1

    visit(level + 1)
  end

  def visit(level)
    return @inbox.pop if level >= @depth - 1

    expand(level + 1)
  end

  def expand(level)
    return @inbox.pop if level >= @depth - 1

    descend(level + 1)
  end
end

args = HangSupport.plain_args
count = Integer(args[0] || 8, exception: false)
depth = Integer(args[1] || 200, exception: false)
abort 'usage: deep-threads.rb [N [DEPTH]] [--oracle FILE]' unless count&.positive? && depth&.positive?

threads = (1..count).map do |i|
  t = Thread.new { Walker.new(depth).descend(0) }
  t.name = "deep-#{i}"
  t
end
HangSupport.announce(threads + [Thread.main]) do
  { 'threads' => count, 'depth' => depth, 'tids' => threads.map(&:native_thread_id).join(',') }
end
threads.each(&:join)
