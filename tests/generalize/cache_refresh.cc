// Demangled names in every output: two caches refresh each other, each
// taking its own std::mutex and then the peer's through std::lock_guard
// inside app::Cache::refresh, from two std::thread lambdas. Built -O1 -g, so
// libstdc++'s inline std::mutex::lock is an inlined frame with a DWARF
// linkage name, and the thread entry is libstdc++'s mangled
// std::thread::_State_impl<...>::_M_run. Prints "ready PID rule=lock-cycle
// tids=A,B" once both threads hold their first lock.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

static std::atomic<int> ready{0};
static std::atomic<pid_t> tids[2];

namespace app {

class Cache {
public:
	explicit Cache(const char *name) : name_(name) {}
	void refresh(Cache &peer, int who);
	const char *name() const { return name_; }

private:
	std::mutex mutex_;
	const char *name_;
	int version_ = 0;
};

void Cache::refresh(Cache &peer, int who)
{
	tids[who] = gettid();
	std::lock_guard<std::mutex> mine(mutex_);
	ready++;
	while (ready < 2)
		std::this_thread::yield();
	std::lock_guard<std::mutex> theirs(peer.mutex_);  // never returns
	version_ = peer.version_ + 1;
}

}  // namespace app

int main()
{
	app::Cache users("users"), sessions("sessions");
#ifdef HS_EXTRA_LAMBDA
	/* an unrelated lambda before the threads' (their ordinals move up by one): the signature must not change */
	auto initial = [&] { return users.name()[0]; };
	if (initial() == '\0')
		return 2;
#endif
	std::thread t1([&] { users.refresh(sessions, 0); });
	std::thread t2([&] { sessions.refresh(users, 1); });
	std::this_thread::sleep_for(std::chrono::milliseconds(300));
	std::printf("ready %d rule=lock-cycle tids=%d,%d\n", getpid(), (int)tids[0], (int)tids[1]);
	std::fflush(stdout);
	t1.join();
	t2.join();
	return users.name()[0] == sessions.name()[0];
}
