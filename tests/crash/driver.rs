//! The parent side: spawns children on one engine file, streams messages to
//! them, kills them with SIGKILL at random moments and restarts them.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use crate::child::{CHILD_ENV, MARKER};
use crate::ledger::Ledger;
use crate::CHILD_TEST;

/// Calls kept outstanding at once, so kills hit calls in flight.
const WINDOW: usize = 32;
/// One message in this many is an update; the others are signals.
const UPDATE_EVERY: u64 = 5;
/// How long a child may take to open the engine and report ready.
const OPEN_TIMEOUT: Duration = Duration::from_secs(60);
/// How long outstanding calls may go without any answer.
const HANG_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a killed child's pipe may take to close, or a child to exit.
const EXIT_TIMEOUT: Duration = Duration::from_secs(30);
/// Poll period of the parent's loop.
const POLL: Duration = Duration::from_millis(10);

/// Sizes of one run.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    pub messages: usize,
    pub kills: usize,
    pub seed: u64,
}

impl Config {
    /// CI sizes, the sizes with `WORKFLOW_LONG_TESTS=1`; the seed
    /// from `WORKFLOW_CRASH_SEED` to replay a run, or from the clock.
    pub fn from_env() -> Config {
        let long = std::env::var("WORKFLOW_LONG_TESTS").is_ok_and(|v| v == "1");
        let (messages, kills) = if long { (10_000, 50) } else { (2_000, 20) };
        let seed = std::env::var("WORKFLOW_CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(clock_seed);
        Config { messages, kills, seed }
    }
}

fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn clock_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64);
    nanos | 1
}

/// xorshift64*: small, seedable, good enough to pick kill moments.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..=max`.
    fn up_to(&mut self, max: u64) -> u64 {
        self.next() % (max + 1)
    }
}

/// When to kill a child.
#[derive(Clone, Copy, Debug)]
struct KillPlan {
    /// Messages to send it at most.
    budget: usize,
    /// Delay before the kill.
    after: Duration,
    moment: Moment,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Moment {
    /// `after` its ready line, with the budget's messages spread evenly
    /// until then: the kill lands amid steady traffic.
    Paced,
    /// Right after the whole budget was sent at once (up to the window):
    /// the kill lands on many calls in flight.
    Burst,
    /// `after` its spawn, paced like `Paced` if it gets ready in time: the
    /// kill may land on the engine's recovery.
    Recovery,
}

/// When one child gets its messages and its kill.
struct Schedule {
    /// When it got ready.
    ready: Instant,
    /// Messages it may get (unbounded for the last child).
    budget: usize,
    /// Messages sent to it so far.
    sent: usize,
    /// Whether it is to be killed.
    kills: bool,
    /// When, if known yet (a burst's kill is set once it is all sent).
    kill_at: Option<Instant>,
    /// Whether its messages are spread evenly up to the kill.
    paced: bool,
}

impl Schedule {
    fn new(kill: Option<KillPlan>, ready: Instant, recovery_kill: Option<Instant>) -> Schedule {
        Schedule {
            ready,
            budget: kill.map_or(usize::MAX, |k| k.budget),
            sent: 0,
            kills: kill.is_some(),
            kill_at: kill.and_then(|k| match k.moment {
                Moment::Paced => Some(ready + k.after),
                Moment::Recovery => recovery_kill,
                Moment::Burst => None,
            }),
            paced: kill.is_some_and(|k| k.moment != Moment::Burst),
        }
    }

    fn has_budget(&self) -> bool {
        self.sent < self.budget
    }

    /// When the next message may go.
    fn next_send(&self) -> Instant {
        match self.kill_at {
            Some(at) if self.paced => {
                let share = self.sent as f64 / self.budget.max(1) as f64;
                self.ready + at.saturating_duration_since(self.ready).mul_f64(share)
            }
            _ => self.ready,
        }
    }

    fn may_send(&self, now: Instant) -> bool {
        self.has_budget() && self.next_send() <= now
    }
}

/// Counters for the summary line.
#[derive(Debug, Default)]
pub struct Stats {
    pub kills: usize,
    pub kills_before_ready: usize,
    pub children: u32,
    pub resends: usize,
    pub slowest_open: Duration,
    /// When each kill happened, in ms since the Unix epoch (the clock of
    /// history events).
    pub kill_times_ms: Vec<u64>,
}

/// A running child.
struct Running {
    process: Child,
    stdin: Option<ChildStdin>,
    generation: u32,
    stderr: PathBuf,
}

enum Output {
    Line(String),
    Closed,
}

pub struct Driver {
    config: Config,
    rng: Rng,
    dir: PathBuf,
    db: PathBuf,
    pub ledger: Ledger,
    pub stats: Stats,
    next: usize,
    resend: Vec<(String, u64)>,
    tx: Sender<(u32, Output)>,
    rx: Receiver<(u32, Output)>,
}

impl Driver {
    pub fn new(config: Config, dir: &Path) -> Driver {
        let (tx, rx) = mpsc::channel();
        Driver {
            config,
            rng: Rng::new(config.seed),
            dir: dir.to_path_buf(),
            db: dir.join("crash.db"),
            ledger: Ledger::default(),
            stats: Stats::default(),
            next: 0,
            resend: Vec::new(),
            tx,
            rx,
        }
    }

    pub fn db(&self) -> &Path {
        &self.db
    }

    /// Runs `kills` killed children, then a last one that gets the rest of
    /// the messages, answers them all and exits cleanly.
    pub fn run(&mut self) -> Result<(), String> {
        for done in 0..self.config.kills {
            let plan = self.plan_kill(self.config.kills - done);
            self.generation(Some(plan))?;
        }
        self.generation(None)
    }

    /// Spreads the remaining messages over the remaining children, with
    /// random budgets and delays.
    fn plan_kill(&mut self, kills_left: usize) -> KillPlan {
        let remaining = (self.config.messages - self.next) as u64;
        let moment = match self.rng.up_to(9) {
            0..=4 => Moment::Paced,
            5..=7 => Moment::Burst,
            _ => Moment::Recovery,
        };
        KillPlan {
            budget: self.rng.up_to(2 * remaining / (kills_left as u64 + 1)) as usize,
            after: Duration::from_millis(20 + self.rng.up_to(180)),
            moment,
        }
    }

    /// One child: spawned, served per `kill` (or to the end), then killed
    /// (or let exit).
    fn generation(&mut self, kill: Option<KillPlan>) -> Result<(), String> {
        let mut child = self.spawn()?;
        let spawned = Instant::now();
        let recovery_kill = kill.filter(|k| k.moment == Moment::Recovery).map(|k| spawned + k.after);
        if !self.await_ready(&child, recovery_kill)? {
            self.stats.kills_before_ready += 1;
            return self.kill(child);
        }
        let ready = Instant::now();
        self.stats.slowest_open = self.stats.slowest_open.max(ready - spawned);
        for (key, n) in std::mem::take(&mut self.resend) {
            self.stats.resends += 1;
            self.send_update(&mut child, &key, n)?;
        }
        let schedule = Schedule::new(kill, ready, recovery_kill);
        self.serve(child, schedule)
    }

    /// Sends messages per `schedule` and reads answers until the kill, or,
    /// for the last child, until everything is answered.
    fn serve(&mut self, mut child: Running, mut schedule: Schedule) -> Result<(), String> {
        let mut last_answer = Instant::now();
        loop {
            while self.ledger.in_flight() < WINDOW
                && self.next < self.config.messages
                && schedule.may_send(Instant::now())
            {
                self.send_next(&mut child)?;
                schedule.sent += 1;
            }
            let now = Instant::now();
            let all_sent = !schedule.has_budget() || self.next == self.config.messages;
            if all_sent && schedule.kills && schedule.kill_at.is_none() {
                // A burst is all sent: kill within 10 ms, amid its calls.
                schedule.kill_at = Some(now + Duration::from_millis(self.rng.up_to(10)));
            }
            match schedule.kill_at {
                Some(at) if now >= at => return self.kill(child),
                None if all_sent && self.ledger.in_flight() == 0 => return self.finish(child),
                _ => {}
            }
            let mut wake = now + POLL;
            if !all_sent && self.ledger.in_flight() < WINDOW {
                wake = wake.min(schedule.next_send());
            }
            let wait = schedule
                .kill_at
                .map_or(wake, |at| at.min(wake))
                .saturating_duration_since(now);
            match self.rx.recv_timeout(wait) {
                Ok((generation, Output::Line(line))) => {
                    self.on_line(generation, &line)?;
                    last_answer = Instant::now();
                }
                Ok((generation, Output::Closed)) if generation == child.generation => {
                    return Err(self.died(child, "exited on its own while serving"));
                }
                Ok((_, Output::Closed)) => {}
                Err(RecvTimeoutError::Timeout) => {
                    if self.ledger.in_flight() > 0 && last_answer.elapsed() > HANG_TIMEOUT {
                        return Err(self.died(child, "hangs: outstanding calls got no answer for 30 s"));
                    }
                }
                Err(RecvTimeoutError::Disconnected) => unreachable!("the driver holds a sender"),
            }
        }
    }

    fn spawn(&mut self) -> Result<Running, String> {
        self.stats.children += 1;
        let generation = self.stats.children;
        let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
        let stderr = self.dir.join(format!("child-{generation}.stderr"));
        let stderr_file = std::fs::File::create(&stderr).map_err(|e| format!("{}: {e}", stderr.display()))?;
        let mut process = Command::new(exe)
            .args([CHILD_TEST, "--exact", "--nocapture", "--quiet", "--test-threads=1"])
            .env(CHILD_ENV, &self.db)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr_file)
            .spawn()
            .map_err(|e| format!("cannot spawn child {generation}: {e}"))?;
        let stdout = process.stdout.take().expect("piped stdout");
        let tx = self.tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // The harness may write on the same line before the marker.
                if let Some((_, message)) = line.split_once(MARKER) {
                    let _ = tx.send((generation, Output::Line(message.to_owned())));
                }
            }
            let _ = tx.send((generation, Output::Closed));
        });
        Ok(Running {
            stdin: process.stdin.take(),
            process,
            generation,
            stderr,
        })
    }

    /// Waits for the child's ready line; `false` if `deadline` came first.
    fn await_ready(&mut self, child: &Running, deadline: Option<Instant>) -> Result<bool, String> {
        let give_up = Instant::now() + OPEN_TIMEOUT;
        loop {
            let until = deadline.map_or(give_up, |d| d.min(give_up));
            let now = Instant::now();
            if now >= until {
                return match deadline {
                    Some(d) if d <= give_up => Ok(false),
                    _ => Err(format!(
                        "child {} did not open the engine within {OPEN_TIMEOUT:?}",
                        child.generation
                    )),
                };
            }
            match self.rx.recv_timeout(until - now) {
                Ok((generation, Output::Line(line))) => {
                    if generation == child.generation && line == "ready" {
                        return Ok(true);
                    }
                    self.on_line(generation, &line)?;
                }
                Ok((generation, Output::Closed)) if generation == child.generation => {
                    return Err(format!(
                        "child {generation} exited before it was ready (the engine did not reopen); stderr:\n{}",
                        tail(&child.stderr)
                    ));
                }
                Ok((_, Output::Closed)) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => unreachable!("the driver holds a sender"),
            }
        }
    }

    /// Sends the next planned message: a signal, or one update in five.
    fn send_next(&mut self, child: &mut Running) -> Result<(), String> {
        let index = self.next as u64;
        self.next += 1;
        if self.rng.up_to(UPDATE_EVERY - 1) == 0 {
            self.send_update(child, &format!("u{index}"), index)
        } else {
            self.ledger.signal_sent(index);
            write_line(child, &format!("signal {index}"))
        }
    }

    fn send_update(&mut self, child: &mut Running, key: &str, n: u64) -> Result<(), String> {
        self.ledger.update_sent(key, n);
        write_line(child, &format!("update {key} {n}"))
    }

    /// Applies one protocol line to the ledger; an error or a fatal line
    /// fails the run.
    fn on_line(&mut self, generation: u32, line: &str) -> Result<(), String> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let parse = |n: &str| n.parse::<u64>().map_err(|e| format!("bad number in `{line}`: {e}"));
        let applied = match words.as_slice() {
            ["ack", "signal", n] => self.ledger.signal_acked(parse(n)?),
            ["accepted", key, id] => self.ledger.update_accepted(key, id),
            ["ack", "update", key, result] => self.ledger.update_acked(key, result),
            ["activity", key, _attempt] => {
                self.ledger.activity_ran(key);
                Ok(())
            }
            ["progress", from] => {
                self.ledger.progress_starts.push(parse(from)?);
                Ok(())
            }
            ["ready"] => Ok(()),
            _ => Err(format!("unexpected line: {line}")),
        };
        applied.map_err(|e| format!("child {generation}: {e}"))
    }

    /// SIGKILLs the child, reads everything it wrote before dying, and
    /// settles what it left unanswered.
    fn kill(&mut self, mut child: Running) -> Result<(), String> {
        child
            .process
            .kill()
            .map_err(|e| format!("kill child {}: {e}", child.generation))?;
        child
            .process
            .wait()
            .map_err(|e| format!("wait child {}: {e}", child.generation))?;
        self.stats.kills += 1;
        self.stats.kill_times_ms.push(unix_ms());
        self.drain(&child)?;
        let resend = self.ledger.abandon_in_flight();
        self.resend.extend(resend);
        Ok(())
    }

    /// Closes the last child's stdin: it answers what is left, closes the
    /// engine and must exit successfully.
    fn finish(&mut self, mut child: Running) -> Result<(), String> {
        drop(child.stdin.take());
        let deadline = Instant::now() + EXIT_TIMEOUT;
        let status = loop {
            match child.process.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => std::thread::sleep(POLL),
                Ok(None) => return Err(self.died(child, "did not exit after its stdin closed")),
                Err(e) => return Err(format!("wait child {}: {e}", child.generation)),
            }
        };
        self.drain(&child)?;
        match status.success() {
            true => Ok(()),
            false => Err(format!(
                "last child exited with {status}; stderr:\n{}",
                tail(&child.stderr)
            )),
        }
    }

    /// Reads the child's remaining lines, up to its pipe closing.
    fn drain(&mut self, child: &Running) -> Result<(), String> {
        let deadline = Instant::now() + EXIT_TIMEOUT;
        loop {
            let wait = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(wait) {
                Ok((generation, Output::Line(line))) => self.on_line(generation, &line)?,
                Ok((generation, Output::Closed)) if generation == child.generation => return Ok(()),
                Ok((_, Output::Closed)) => {}
                Err(_) => return Err(format!("child {}'s stdout did not close", child.generation)),
            }
        }
    }

    /// Describes a child that misbehaved, killing it so the run can end.
    fn died(&self, mut child: Running, what: &str) -> String {
        let _ = child.process.kill();
        let _ = child.process.wait();
        format!(
            "child {} {what}; in flight: {}; stderr:\n{}",
            child.generation,
            self.ledger.in_flight(),
            tail(&child.stderr)
        )
    }
}

fn write_line(child: &mut Running, line: &str) -> Result<(), String> {
    let stdin = child.stdin.as_mut().expect("stdin open while serving");
    writeln!(stdin, "{line}").and_then(|()| stdin.flush()).map_err(|e| {
        let stderr = tail(&child.stderr);
        format!(
            "child {}: cannot write `{line}`: {e}; stderr:\n{stderr}",
            child.generation
        )
    })
}

/// The last lines of a child's stderr.
fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}
