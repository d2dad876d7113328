// A healthy, idle Rust worker pool, for the no-false-alarm test: four
// workers park on a std::sync::Condvar of an empty job queue (a futex wait
// with no timeout, under a std Mutex that nobody holds), the main thread
// sleeps in its housekeeping loop. Nothing is wrong: there is just no work.
// (A main that joined them would be the queue-join hang: shutdown waiting
// for workers nobody will wake.) Prints "ready PID" once the workers wait.
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

struct Pool {
    jobs: Mutex<VecDeque<Box<dyn FnOnce() + Send>>>,
    ready: Condvar,
}

fn work(pool: Arc<Pool>) {
    loop {
        let job = {
            let mut jobs = pool.jobs.lock().unwrap();
            loop {
                if let Some(job) = jobs.pop_front() {
                    break job;
                }
                jobs = pool.ready.wait(jobs).unwrap();
            }
        };
        job();
    }
}

fn main() {
    let pool = Arc::new(Pool { jobs: Mutex::new(VecDeque::new()), ready: Condvar::new() });
    let _workers: Vec<_> = (0..4)
        .map(|i| {
            let p = Arc::clone(&pool);
            thread::Builder::new().name(format!("worker-{}", i + 1)).spawn(move || work(p)).unwrap()
        })
        .collect();
    thread::sleep(Duration::from_millis(300));
    println!("ready {}", std::process::id());
    loop {
        thread::sleep(Duration::from_secs(3600));
    }
}
