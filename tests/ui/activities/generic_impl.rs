//! A worker registers each activity name once, for one type.

pub struct Payments<Db> {
    db: Db,
}

#[workflow::activities]
impl<Db: Send + Sync + 'static> Payments<Db> {
    async fn charge(&self, cents: u64) -> u64 {
        let _ = &self.db;
        cents
    }
}

fn main() {}
