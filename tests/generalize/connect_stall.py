# A Python program whose worker thread is stuck in connect(): the listener's
# accept queue (backlog 0) is full, so the SYN goes unanswered. Loopback only.
# hanganalyze must report connect-stall on the worker, from the interpreter's
# stack (libpython frames). The main thread's join waits on an ownerless
# semaphore, which no core can attribute to the worker.
import os, socket, sys, threading, time

listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(0)
addr = listener.getsockname()
fillers = []
for _ in range(64):
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect(addr)
    except BlockingIOError:
        pass
    fillers.append(s)
    time.sleep(0.05)
    try:
        s.getpeername()
    except OSError:
        break  # this one did not complete: the queue is full

tid = []
def worker():
    tid.append(threading.get_native_id())
    c = socket.socket()
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_SYNCNT, 127)
    c.connect(addr)  # blocks: no timeout

t = threading.Thread(target=worker)
t.start()
while not tid:
    time.sleep(0.01)
time.sleep(0.3)
print("ready %d rule=connect-stall tids=%d" % (os.getpid(), tid[0]), flush=True)
t.join()  # shutdown waits for the worker, forever
