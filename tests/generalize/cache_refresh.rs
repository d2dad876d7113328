// Demangled Rust names: two caches refresh each other, each locking its own
// std::sync::Mutex and then the peer's inside app::Cache::refresh, from two
// threads. Built with the legacy and the v0 symbol mangling. Prints "ready
// PID" once both threads hold their first lock.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

static READY: AtomicUsize = AtomicUsize::new(0);

mod app {
    use super::*;

    pub struct Cache {
        pub version: Mutex<u64>,
    }

    impl Cache {
        #[inline(never)]
        pub fn refresh(&self, peer: &Cache) {
            let mut mine = self.version.lock().unwrap();
            READY.fetch_add(1, Ordering::SeqCst);
            while READY.load(Ordering::SeqCst) < 2 {
                thread::yield_now();
            }
            let theirs = peer.version.lock().unwrap(); // never returns
            *mine = *theirs + 1;
        }
    }
}

fn main() {
    let users = Arc::new(app::Cache { version: Mutex::new(0) });
    let sessions = Arc::new(app::Cache { version: Mutex::new(0) });
    let (u1, s1) = (users.clone(), sessions.clone());
    let t1 = thread::spawn(move || u1.refresh(&s1));
    let t2 = thread::spawn(move || sessions.refresh(&users));
    thread::sleep(Duration::from_millis(300));
    println!("ready {}", std::process::id());
    t1.join().unwrap();
    t2.join().unwrap();
}
