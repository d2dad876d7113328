# frozen_string_literal: true

# idle-server: a healthy, idle threaded TCP server on 127.0.0.1 (port chosen
# by the kernel): nothing is wrong, nobody is connected.
#
#   "acceptor":         Server#accept_loop, in TCPServer#accept.
#   "worker-1".."-4":   Server#work, each in Queue#pop of the shared job queue.
#   main:               Server#wait_for_signal, in IO.select on a self-pipe
#                       that a SIGTERM/SIGINT handler writes to (and then
#                       exits).
#
# Expected: no finding at severity high or critical.
# Prints "ready PID acceptor=TID workers=T1,T2,T3,T4 main=TID port=PORT" once
# all wait. Usage: ruby idle-server.rb [--oracle FILE]

require_relative 'lib/hang_support'

class Server
  POOL_SIZE = 4

  attr_reader :acceptor, :workers, :port

  def initialize
    @server = TCPServer.new('127.0.0.1', 0)
    @port = @server.addr[1]
    @jobs = Queue.new
    @signal_r, @signal_w = IO.pipe
  end

  def start
    @workers = (1..POOL_SIZE).map do |i|
      t = Thread.new { work }
      t.name = "worker-#{i}"
      t
    end
    @acceptor = Thread.new { accept_loop }
    @acceptor.name = 'acceptor'
    %w[TERM INT].each { |sig| Signal.trap(sig) { @signal_w.write_nonblock('.', exception: false) } }
    self
  end

  def accept_loop
    loop do
      client = @server.accept
      @jobs << client
    end
  end

  def work
    while (client = @jobs.pop)
      handle(client)
    end
  end

  def handle(client)
    client.write("HTTP/1.0 204 No Content\r\n\r\n")
  ensure
    client.close
  end

  def wait_for_signal
    IO.select([@signal_r])
    @signal_r.read_nonblock(16, exception: false)
  end
end

server = Server.new.start
HangSupport.announce(server.workers + [server.acceptor, Thread.main]) do
  { 'acceptor' => server.acceptor.native_thread_id, 'workers' => server.workers.map(&:native_thread_id).join(','),
    'main' => Thread.main.native_thread_id, 'port' => server.port }
end
server.wait_for_signal # until SIGTERM or SIGINT
