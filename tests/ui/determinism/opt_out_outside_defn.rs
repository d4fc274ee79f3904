use std::time::{Duration, SystemTime};

/// Activities are not checked, so the opt-out has no place on them.
#[workflow::nondeterministic]
#[workflow::activity]
async fn nap() {
    tokio::time::sleep(Duration::from_millis(1)).await;
}

struct Plain;

impl Plain {
    #[workflow::nondeterministic]
    fn stamp(&self) -> SystemTime {
        SystemTime::now()
    }
}

fn main() {
    let _ = (nap, Plain.stamp());
}
