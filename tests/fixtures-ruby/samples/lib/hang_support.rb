# frozen_string_literal: true

# Shared by the Ruby samples (samples/ruby/*.rb, samples/ruby/log-forwarder/).
#
# Every sample starts its threads, then calls HangSupport.announce with the
# threads that must be hung. announce starts a helper thread named "oracle"
# that
#   1. waits until each of those threads is blocked: Thread#status "sleep",
#      in the same system call (/proc/self/task/TID/syscall) with the same
#      innermost Ruby frames for several polls in a row;
#   2. with --oracle FILE, writes FILE (FILE.tmp, then renamed) as JSON:
#        {"pid": PID, "ruby_version": "3.1.2", "ruby_engine": "ruby",
#         "threads": [{"native_id": TID, "name": NAME|null, "status": "sleep",
#                      "frames": [{"path": P, "line": N, "label": L}, ...]}]}
#      one entry per thread of Thread.list except "oracle" itself, frames as
#      Thread#backtrace_locations gives them (innermost first);
#   3. prints "ready PID key=value..." on stdout and flushes;
#   4. sleeps, for ever, in timed sleeps: a thread that sleeps with a timeout
#      keeps Ruby's deadlock detector ("No live threads left. Deadlock?") from
#      killing samples whose other threads all wait without one.
#
# Loopback only: the only addresses used are on 127.0.0.1.

require 'json'
require 'socket'

module HangSupport
  module_function

  # The FILE of "--oracle FILE" in argv, or nil.
  def oracle_path(argv = ARGV)
    i = argv.index('--oracle') or return nil
    argv[i + 1] or abort('--oracle needs a FILE')
  end

  # Arguments other than "--oracle FILE".
  def plain_args(argv = ARGV)
    i = argv.index('--oracle')
    i ? argv[0...i] + argv[(i + 2)..] : argv.dup
  end

  # A loopback listener (backlog 0) whose accept queue is full of connections
  # nobody accepts: the kernel drops every further SYN, so a new connection to
  # it stays in SYN_SENT. Returns [listener, fillers, port]; keep all of them
  # referenced (a collected socket is closed).
  def full_listener
    listener = Socket.new(:INET, :STREAM)
    listener.bind(Addrinfo.tcp('127.0.0.1', 0))
    listener.listen(0)
    addr = listener.local_address
    fillers = []
    64.times do
      s = Socket.new(:INET, :STREAM)
      fillers << s
      begin
        s.connect_nonblock(addr)
      rescue IO::WaitWritable
        # this handshake did not complete: the queue is full
        return [listener, fillers, addr.ip_port] unless IO.select(nil, [s], nil, 0.2)
      end
    end
    raise 'could not fill the accept queue of the loopback listener'
  end

  def syscall_of(thread)
    File.read("/proc/self/task/#{thread.native_thread_id}/syscall").split.first
  rescue SystemCallError, TypeError
    nil
  end

  def frames_of(thread, limit = nil)
    locs = limit ? thread.backtrace_locations(0, limit) : thread.backtrace_locations
    (locs || []).map { |l| { 'path' => l.path, 'line' => l.lineno, 'label' => l.label } }
  end

  # Waits until every thread of threads is blocked and stays so.
  def wait_blocked(threads, timeout: 60)
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + timeout
    last = nil
    stable = 0
    loop do
      now = threads.map { |t| [t.status, syscall_of(t), frames_of(t, 4)] }
      if now.all? { |st, sc, _| st == 'sleep' && sc && sc != 'running' } && now == last
        stable += 1
        return if stable >= 5
      else
        stable = 0
      end
      last = now
      if Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline
        abort "threads did not block: #{threads.map(&:name).zip(now).inspect}"
      end
      sleep 0.05
    end
  end

  def write_oracle(path)
    threads = (Thread.list - [Thread.current]).map do |t|
      { 'native_id' => t.native_thread_id, 'name' => t.name, 'status' => t.status,
        'frames' => frames_of(t) }
    end
    doc = { 'pid' => Process.pid, 'ruby_version' => RUBY_VERSION, 'ruby_engine' => RUBY_ENGINE,
            'threads' => threads }
    tmp = "#{path}.tmp"
    File.write(tmp, JSON.pretty_generate(doc) + "\n")
    File.rename(tmp, path)
  end

  # Starts the "oracle" helper thread (see the top of this file). The block
  # returns the Hash of key=value pairs for the ready line; it is called once
  # the threads are blocked (a thread's native_thread_id is nil until it runs).
  def announce(threads, oracle: oracle_path, &fields)
    Thread.new do
      Thread.current.name = 'oracle'
      Thread.current.report_on_exception = true
      wait_blocked(threads)
      write_oracle(oracle) if oracle
      kv = fields.call
      $stdout.puts(["ready #{Process.pid}", *kv.map { |k, v| "#{k}=#{v}" }].join(' '))
      $stdout.flush
      loop { sleep 3600 }
    end
  end
end
