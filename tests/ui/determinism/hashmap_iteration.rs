use std::collections::{HashMap, HashSet};

use workflow::{WorkflowContext, WorkflowResult};

#[derive(Default)]
struct Tally {
    order: Vec<String>,
}

#[workflow::defn]
impl Tally {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, words: Vec<String>) -> WorkflowResult<Vec<String>> {
        let mut counts: HashMap<String, u32> = HashMap::new();
        for word in words {
            *counts.entry(word).or_default() += 1;
        }
        for (word, _) in &counts {
            ctx.state_mut(|s| s.order.push(word.clone()));
        }
        Ok(ctx.state(|s| s.order.clone()))
    }

    #[workflow::signal]
    fn add(&mut self, words: Vec<String>) {
        let seen = words.into_iter().collect::<HashSet<String>>();
        self.order.extend(seen.iter().cloned());
    }

    /// A plain helper: the type comes from the initializer.
    fn totals(&self) -> Vec<usize> {
        let mut totals = HashMap::new();
        for word in &self.order {
            totals.insert(word.clone(), word.len());
        }
        totals.values().copied().collect()
    }
}

fn main() {}
