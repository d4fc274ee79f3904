//! Activities take `&self`: a worker shares one instance between the
//! attempts running at once.

pub struct Payments {
    charged: u64,
}

#[workflow::activities]
impl Payments {
    async fn charge(&mut self, cents: u64) -> u64 {
        self.charged += cents;
        self.charged
    }

    async fn close(self) -> u64 {
        self.charged
    }
}

fn main() {}
