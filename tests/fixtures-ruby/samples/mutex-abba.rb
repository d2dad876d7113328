# frozen_string_literal: true

# mutex-abba: two threads deadlocked on two Ruby Mutexes taken in opposite
# orders (ABBA), the main thread joining both.
#
#   "reloader": ConfigStore#reload holds @config_lock, waits for @cache_lock.
#   "flusher":  ConfigStore#flush  holds @cache_lock,  waits for @config_lock.
#   main:       joins reloader (then flusher), no timeout.
#
# Expected finding (hanganalyze): lock-cycle naming reloader and flusher.
# Prints "ready PID reloader=TID flusher=TID joiner=TID" once all three wait
# (native thread ids). Usage: ruby mutex-abba.rb [--oracle FILE]

require_relative 'lib/hang_support'

class ConfigStore
  def initialize
    @config_lock = Mutex.new
    @cache_lock = Mutex.new
    @config = { 'ttl' => 30 }
    @cache = {}
  end

  # config, then cache
  def reload
    @config_lock.synchronize do
      wait_until_locked(@cache_lock)
      @cache_lock.synchronize { @cache.clear }
    end
  end

  # cache, then config
  def flush
    @cache_lock.synchronize do
      wait_until_locked(@config_lock)
      @config_lock.synchronize { @cache.each_key { |k| @config[k] = @cache[k] } }
    end
  end

  private

  # so that the two threads surely interleave into the deadlock
  def wait_until_locked(mutex)
    sleep 0.01 until mutex.locked?
  end
end

store = ConfigStore.new
reloader = Thread.new { store.reload }
reloader.name = 'reloader'
flusher = Thread.new { store.flush }
flusher.name = 'flusher'

HangSupport.announce([reloader, flusher, Thread.main]) do
  { 'reloader' => reloader.native_thread_id, 'flusher' => flusher.native_thread_id,
    'joiner' => Thread.main.native_thread_id }
end
[reloader, flusher].each(&:join)
