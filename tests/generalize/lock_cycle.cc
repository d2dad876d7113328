// A C++ program that deadlocks through the standard library: two threads
// take two std::mutex in opposite orders through std::lock_guard (libstdc++
// calls into pthread_mutex_lock). hanganalyze must report lock-cycle on both,
// also when the program is built -O2 and stripped.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

static std::mutex accounts, audit;
static std::atomic<int> ready{0};
static std::atomic<pid_t> tids[2];

static void transfer(int who, std::mutex &first, std::mutex &second)
{
	tids[who] = gettid();
	std::lock_guard<std::mutex> a(first);
	ready++;
	while (ready < 2)
		std::this_thread::yield();
	std::lock_guard<std::mutex> b(second);  // never returns
}

int main()
{
	std::thread t1(transfer, 0, std::ref(accounts), std::ref(audit));
	std::thread t2(transfer, 1, std::ref(audit), std::ref(accounts));
	std::this_thread::sleep_for(std::chrono::milliseconds(300));
	std::printf("ready %d rule=lock-cycle tids=%d,%d\n", getpid(), (int)tids[0], (int)tids[1]);
	std::fflush(stdout);
	t1.join();
	t2.join();
}
