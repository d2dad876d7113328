// An idle JVM, for the no-false-alarm test: the Java main thread sleeps in
// Thread.sleep (a timed condition variable wait in the JVM) while the
// launcher's primordial thread joins it, as in every JVM. Prints "ready PID"
// first.
public class Idle {
    public static void main(String[] args) throws InterruptedException {
        System.out.println("ready " + ProcessHandle.current().pid());
        System.out.flush();
        while (true) {
            Thread.sleep(3_600_000L);
        }
    }
}
