//! The workflow context: state access, deterministic time and randomness,
//! and every awaitable operation a workflow performs.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::{poll_fn, Future};
use std::rc::Rc;
use std::task::Poll;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::Serialize;
use workflow_client::{
    ActivityCancellationType, ActivityOptions, DecodeFn, ExternalFailureCause, Failure, Headers, IntoArgs, Limit,
    ParentClosePolicy, Payload, Run, RunOptions, SearchAttributeUpdate, Signal, Untyped, WorkflowType,
};

use crate::activity::Activity;
use crate::error::{WorkflowError, WorkflowResult};
use crate::protocol::{Command, WorkflowInfo};
use crate::stack_trace::Wait;

/// The update being handled, from [`WorkflowContext::current_update_info`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UpdateInfo {
    /// The update's id (the caller's, or one the client made up).
    pub id: String,
    /// The update's name.
    pub name: String,
}

/// How a command issued by the workflow was resolved.
#[derive(Debug)]
pub(crate) enum Resolution {
    Timer,
    Activity(Result<Payload, Failure>),
    External(Result<(), ExternalFailureCause>),
    ChildStart(Result<String, String>),
}

/// Per-run executor state shared by the context and the executor.
pub(crate) struct RunState {
    pub(crate) info: WorkflowInfo,
    pub(crate) now: SystemTime,
    pub(crate) replaying: bool,
    pub(crate) history_length: u64,
    pub(crate) continue_as_new_suggested: bool,
    pub(crate) commands: Vec<Command>,
    pub(crate) resolved: HashMap<u32, Resolution>,
    pub(crate) child_results: HashMap<u32, Result<Payload, Failure>>,
    /// Bumped on every cancellation request: awaits begun before it are canceled.
    pub(crate) cancel_epoch: u32,
    /// Bumped whenever anything a blocked routine may wait on changes.
    pub(crate) progress: u64,
    pub(crate) handlers_running: usize,
    pub(crate) pending_outgoing_signals: usize,
    pub(crate) max_pending_outgoing_signals: usize,
    /// Patch ids whose marker replay has announced (`Job::NotifyHasPatch`).
    pub(crate) patches_in_history: HashSet<String>,
    /// Set once the run issued its closing command: what its routines drop
    /// then is not canceled, as the run is over.
    pub(crate) closed: bool,
    /// The update whose handler (or validator) is running, while one is.
    pub(crate) current_update: Option<Rc<UpdateInfo>>,
    /// What the routine being polled waits on, said by each of its
    /// awaitables that cannot go on; the executor takes it after the poll.
    pub(crate) waits: Vec<Wait>,
    /// What the run says it is doing (`ctx.set_current_details`), for the
    /// `__temporal_workflow_metadata` query.
    pub(crate) current_details: String,
    /// What `patched` answered for each id: a run asks once and keeps the answer.
    patches: HashMap<String, bool>,
    next_seq: u32,
    rng: u64,
}

impl RunState {
    pub(crate) fn new(info: WorkflowInfo, seed: u64, max_pending_outgoing_signals: usize) -> Self {
        RunState {
            info,
            now: UNIX_EPOCH,
            replaying: false,
            history_length: 0,
            continue_as_new_suggested: false,
            commands: Vec::new(),
            resolved: HashMap::new(),
            child_results: HashMap::new(),
            cancel_epoch: 0,
            progress: 0,
            handlers_running: 0,
            pending_outgoing_signals: 0,
            max_pending_outgoing_signals,
            patches_in_history: HashSet::new(),
            closed: false,
            current_update: None,
            waits: Vec::new(),
            current_details: String::new(),
            patches: HashMap::new(),
            next_seq: 1,
            rng: seed,
        }
    }

    /// Takes the activation's time and flags.
    pub(crate) fn observe(&mut self, activation: &crate::protocol::Activation) {
        self.now = activation.now;
        self.replaying = activation.replaying;
        self.history_length = activation.history_length;
        self.continue_as_new_suggested = activation.continue_as_new_suggested;
    }

    /// Notes that the routine being polled cannot go on until `wait` resolves.
    fn waiting_on<T>(&mut self, wait: Wait) -> Poll<T> {
        self.waits.push(wait);
        Poll::Pending
    }

    fn issue(&mut self, command: impl FnOnce(u32) -> Command) -> u32 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.commands.push(command(seq));
        self.progress += 1;
        seq
    }

    /// Decides patch `patch_id` once per run: new code unless replaying a
    /// history recorded without its marker. Taking the new code records
    /// the marker (`deprecated` for `deprecate_patch`).
    fn patch(&mut self, patch_id: &str, deprecated: bool) -> bool {
        if let Some(&taken) = self.patches.get(patch_id) {
            return taken;
        }
        let taken = !self.replaying || self.patches_in_history.contains(patch_id);
        self.patches.insert(patch_id.to_owned(), taken);
        if taken {
            self.commands.push(Command::SetPatchMarker {
                patch_id: patch_id.to_owned(),
                deprecated,
            });
        }
        taken
    }

    /// splitmix64: small, fast and fully determined by the seed.
    fn next_u64(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

type SharedRunState = Rc<RefCell<RunState>>;

/// The context of one workflow run, handed to the run method and to async
/// handlers. Cheap to clone; every future it returns owns what it needs.
///
/// The workflow's state (the struct `#[workflow::defn]` is on) lives in the
/// context, shared with the signal and update handlers: read it with
/// [`state`](Self::state), change it with [`state_mut`](Self::state_mut) and
/// wait for it with [`wait_condition`](Self::wait_condition). Everything
/// else that must replay identically (time, randomness, timers, activities,
/// other workflows) goes through the context too.
///
/// ```
/// # use std::time::Duration;
/// # use workflow_runtime::{WorkflowContext, WorkflowResult};
/// #[derive(Default)]
/// pub struct Invoice {
///     paid: bool,
///     reminders: u32,
/// }
///
/// // The body of `Invoice`'s `#[workflow::run]` method; a `pay` signal sets `paid`.
/// async fn run(ctx: &mut WorkflowContext<Invoice>) -> WorkflowResult<u32> {
///     let a_week = Duration::from_secs(7 * 24 * 3600);
///     while !ctx.wait_condition_timeout(a_week, |i| i.paid).await? {
///         ctx.state_mut(|i| i.reminders += 1);
///     }
///     Ok(ctx.state(|i| i.reminders))
/// }
/// ```
pub struct WorkflowContext<W> {
    state: Rc<RefCell<W>>,
    run_state: SharedRunState,
}

impl<W> Clone for WorkflowContext<W> {
    fn clone(&self) -> Self {
        WorkflowContext {
            state: self.state.clone(),
            run_state: self.run_state.clone(),
        }
    }
}

impl<W: 'static> WorkflowContext<W> {
    pub(crate) fn new(state: W, run_state: SharedRunState) -> Self {
        WorkflowContext {
            state: Rc::new(RefCell::new(state)),
            run_state,
        }
    }

    /// Reads the workflow state.
    ///
    /// # Panics
    /// If called from inside `state_mut` on the same context.
    pub fn state<R>(&self, f: impl FnOnce(&W) -> R) -> R {
        f(&self.state.borrow())
    }

    /// Changes the workflow state; conditions waited on are re-checked afterwards.
    ///
    /// Returns what `f` returns, so one call can take a value out:
    ///
    /// ```
    /// # use std::collections::VecDeque;
    /// # use workflow_runtime::WorkflowContext;
    /// # #[derive(Default)]
    /// # pub struct Mailbox { unread: VecDeque<String> }
    /// fn next_message(ctx: &WorkflowContext<Mailbox>) -> Option<String> {
    ///     ctx.state_mut(|m| m.unread.pop_front())
    /// }
    /// ```
    ///
    /// # Panics
    /// If called from inside `state` or `state_mut` on the same context.
    pub fn state_mut<R>(&self, f: impl FnOnce(&mut W) -> R) -> R {
        self.run_state.borrow_mut().progress += 1;
        f(&mut self.state.borrow_mut())
    }

    /// Waits until `condition` holds on the state. Checked after every change,
    /// so it costs no history events (prefer it to polling with `sleep`).
    ///
    /// Fails with [`WorkflowError::Canceled`] if the workflow is canceled while waiting.
    ///
    /// ```
    /// # use workflow_runtime::{WorkflowContext, WorkflowResult};
    /// # #[derive(Default)]
    /// # pub struct Batch { items: Vec<u64> }
    /// async fn next_batch(ctx: &WorkflowContext<Batch>, size: usize) -> WorkflowResult<Vec<u64>> {
    ///     // The condition outlives this call, so it owns what it uses (`move`).
    ///     ctx.wait_condition(move |b| b.items.len() >= size).await?;
    ///     Ok(ctx.state_mut(|b| std::mem::take(&mut b.items)))
    /// }
    /// ```
    pub fn wait_condition(
        &self,
        mut condition: impl FnMut(&W) -> bool + 'static,
    ) -> impl Future<Output = WorkflowResult<()>> + 'static {
        let ctx = self.clone();
        let epoch = self.run_state.borrow().cancel_epoch;
        poll_fn(move |_| {
            if condition(&ctx.state.borrow()) {
                Poll::Ready(Ok(()))
            } else if ctx.run_state.borrow().cancel_epoch > epoch {
                Poll::Ready(Err(WorkflowError::Canceled))
            } else {
                ctx.run_state.borrow_mut().waiting_on(Wait::Condition)
            }
        })
    }

    /// Waits until `condition` holds or `timeout` elapses; returns whether it held.
    pub fn wait_condition_timeout(
        &self,
        timeout: Duration,
        mut condition: impl FnMut(&W) -> bool + 'static,
    ) -> impl Future<Output = WorkflowResult<bool>> + 'static {
        let ctx = self.clone();
        let mut timer = Box::pin(self.sleep(timeout));
        let epoch = self.run_state.borrow().cancel_epoch;
        poll_fn(move |cx| {
            if condition(&ctx.state.borrow()) {
                timer.cancel();
                return Poll::Ready(Ok(true));
            }
            if ctx.run_state.borrow().cancel_epoch > epoch {
                return Poll::Ready(Err(WorkflowError::Canceled));
            }
            ctx.run_state.borrow_mut().waits.push(Wait::Condition);
            timer.as_mut().poll(cx).map_ok(|()| false)
        })
    }
}

impl<W> WorkflowContext<W> {
    /// Workflow time: the time of the current activation, the same on replay.
    pub fn now(&self) -> SystemTime {
        self.run_state.borrow().now
    }

    /// A deterministic random number in `[0, 1)`.
    pub fn random(&self) -> f64 {
        (self.random_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A deterministic random `u64`.
    pub fn random_u64(&self) -> u64 {
        self.run_state.borrow_mut().next_u64()
    }

    /// A deterministic version-4 UUID: the same when the run replays, so it
    /// can name things the workflow creates.
    ///
    /// ```
    /// # use workflow_runtime::WorkflowContext;
    /// fn new_order_id<W>(ctx: &WorkflowContext<W>) -> String {
    ///     format!("order-{}", ctx.uuid4())
    /// }
    /// ```
    pub fn uuid4(&self) -> String {
        let mut run_state = self.run_state.borrow_mut();
        let (high, low) = (run_state.next_u64(), run_state.next_u64());
        workflow_client::id::uuid_text(high, low)
    }

    /// Facts about this run.
    ///
    /// ```
    /// # use workflow_runtime::WorkflowContext;
    /// fn child_id<W>(ctx: &WorkflowContext<W>, item: u32) -> String {
    ///     // Unique per parent, and the same on replay.
    ///     format!("{}-item-{item}", ctx.info().workflow_id)
    /// }
    /// ```
    pub fn info(&self) -> WorkflowInfo {
        self.run_state.borrow().info.clone()
    }

    /// Whether the run is being rebuilt from history (side effects such as
    /// logging may want to stay quiet then).
    pub fn is_replaying(&self) -> bool {
        self.run_state.borrow().replaying
    }

    /// Whether cancellation of this workflow has been requested.
    pub fn is_cancel_requested(&self) -> bool {
        self.run_state.borrow().cancel_epoch > 0
    }

    /// The update whose handler or validator is running, inside one (in an
    /// async handler, the handler's own update across its awaits); `None`
    /// elsewhere.
    ///
    /// ```
    /// # use workflow_runtime::WorkflowContext;
    /// fn log_update<W>(ctx: &WorkflowContext<W>) {
    ///     if let Some(update) = ctx.current_update_info() {
    ///         tracing::info!(update_id = %update.id, "handling `{}`", update.name);
    ///     }
    /// }
    /// ```
    pub fn current_update_info(&self) -> Option<UpdateInfo> {
        self.run_state.borrow().current_update.as_deref().cloned()
    }

    /// Whether no signal or update handler is still running; wait for this
    /// before completing so no handler is cut short.
    ///
    /// ```
    /// # use workflow_runtime::{WorkflowContext, WorkflowResult};
    /// async fn finish<W: 'static>(ctx: &WorkflowContext<W>) -> WorkflowResult<()> {
    ///     let handlers = ctx.clone();
    ///     ctx.wait_condition(move |_| handlers.all_handlers_finished()).await
    /// }
    /// ```
    pub fn all_handlers_finished(&self) -> bool {
        self.run_state.borrow().handlers_running == 0
    }

    /// Says what the run is doing now, in words for operators: Temporal's
    /// UI and `temporal workflow metadata` show it (the
    /// `__temporal_workflow_metadata` query). Not recorded in history; code
    /// that sets it runs again on replay, so it comes back.
    ///
    /// ```
    /// # use workflow_runtime::WorkflowContext;
    /// fn waiting_for_approval<W>(ctx: &WorkflowContext<W>, approver: &str) {
    ///     ctx.set_current_details(format!("waiting for **{approver}** to approve"));
    /// }
    /// ```
    pub fn set_current_details(&self, details: impl Into<String>) {
        self.run_state.borrow_mut().current_details = details.into();
    }

    /// What [`set_current_details`](Self::set_current_details) last set
    /// (empty until then).
    pub fn current_details(&self) -> String {
        self.run_state.borrow().current_details.clone()
    }

    /// Whether the engine suggests continuing as new: the history is long,
    /// or the run is close to the received-signal limit. A long-lived
    /// workflow checks it between items and then returns
    /// [`continue_as_new`](Self::continue_as_new) with its state.
    pub fn continue_as_new_suggested(&self) -> bool {
        self.run_state.borrow().continue_as_new_suggested
    }

    /// Whether this run takes the code of patch `patch_id`: the way to
    /// change a workflow's code while runs of the old code are open.
    ///
    /// A run that reaches this call for the first time while executing
    /// live takes the new code and records a marker in its history; a run
    /// replaying a history recorded before the patch (no marker) takes the
    /// old code, so it issues the commands it issued then. The answer is
    /// fixed for the run at its first call. On Temporal the marker is the
    /// other SDKs' `core_patch` marker, so `workflow.patched("id")` in
    /// Python and this call agree on one history.
    ///
    /// Once no run of the old code remains, replace the call with
    /// [`deprecate_patch`](Self::deprecate_patch) and keep only the new code.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use workflow_runtime::{WorkflowContext, WorkflowResult};
    /// async fn remind<W>(ctx: &WorkflowContext<W>) -> WorkflowResult<()> {
    ///     if ctx.patched("shorter-reminder") {
    ///         ctx.sleep(Duration::from_secs(3600)).await // the new code
    ///     } else {
    ///         ctx.sleep(Duration::from_secs(24 * 3600)).await // what open runs recorded
    ///     }
    /// }
    /// ```
    pub fn patched(&self, patch_id: &str) -> bool {
        self.run_state.borrow_mut().patch(patch_id, false)
    }

    /// Marks patch `patch_id` as deprecated: every open run has taken the
    /// new code, which is now the only code. Histories recorded with the
    /// patch's marker and those without it (started after this change)
    /// both replay; once no run recorded with the marker remains, the call
    /// can go.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use workflow_runtime::{WorkflowContext, WorkflowResult};
    /// async fn remind<W>(ctx: &WorkflowContext<W>) -> WorkflowResult<()> {
    ///     ctx.deprecate_patch("shorter-reminder");
    ///     ctx.sleep(Duration::from_secs(3600)).await
    /// }
    /// ```
    pub fn deprecate_patch(&self, patch_id: &str) {
        self.run_state.borrow_mut().patch(patch_id, true);
    }

    /// Changes the run's search attributes, so visibility queries find it
    /// by its new values; recorded in history.
    ///
    /// ```
    /// # use workflow_client::SearchAttributeKey;
    /// # use workflow_runtime::WorkflowContext;
    /// const ORDER_STATE: SearchAttributeKey<String> = SearchAttributeKey::keyword("OrderState");
    /// const PRIORITY: SearchAttributeKey<i64> = SearchAttributeKey::int("Priority");
    /// fn shipped<W>(ctx: &WorkflowContext<W>) {
    ///     ctx.upsert_search_attributes([ORDER_STATE.set("shipped"), PRIORITY.unset()]);
    /// }
    /// ```
    pub fn upsert_search_attributes(&self, updates: impl IntoIterator<Item = SearchAttributeUpdate>) {
        // By name, the last change of a name winning: the order and form
        // Temporal records them in (a map).
        let by_name: BTreeMap<String, SearchAttributeUpdate> =
            updates.into_iter().map(|u| (u.name.clone(), u)).collect();
        let updates: Vec<_> = by_name.into_values().collect();
        if !updates.is_empty() {
            self.run_state
                .borrow_mut()
                .commands
                .push(Command::UpsertSearchAttributes(updates));
        }
    }

    /// Sets a memo value of the run (`None` removes the key); recorded in
    /// history. Fails if the value does not serialize.
    ///
    /// ```
    /// # use workflow_runtime::{WorkflowContext, WorkflowResult};
    /// fn note_carrier<W>(ctx: &WorkflowContext<W>) -> WorkflowResult<()> {
    ///     ctx.upsert_memo("carrier", Some("DHL"))?;
    ///     ctx.upsert_memo("draft", None::<()>)
    /// }
    /// ```
    pub fn upsert_memo(&self, key: impl Into<String>, value: Option<impl Serialize>) -> WorkflowResult<()> {
        let value = value.map(|v| Payload::encode(&v)).transpose()?;
        let memo = BTreeMap::from([(key.into(), value)]);
        self.run_state.borrow_mut().commands.push(Command::UpsertMemo(memo));
        Ok(())
    }

    /// Sleeps on a durable timer; survives restarts.
    ///
    /// Fails with [`WorkflowError::Canceled`] if the workflow is canceled
    /// while sleeping. To wait for a change of state, use
    /// [`wait_condition`](Self::wait_condition) instead of sleeping in a loop.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use workflow_runtime::{WorkflowContext, WorkflowResult};
    /// async fn cool_down<W>(ctx: &WorkflowContext<W>) -> WorkflowResult<()> {
    ///     ctx.sleep(Duration::from_secs(30 * 60)).await
    /// }
    /// ```
    pub fn sleep(&self, duration: Duration) -> Sleep {
        let mut run_state = self.run_state.borrow_mut();
        let seq = run_state.issue(|seq| Command::StartTimer { seq, duration });
        Sleep {
            pending: CancelOnDrop::new(&self.run_state, seq, Command::CancelTimer { seq }),
            run_state: self.run_state.clone(),
            seq,
            duration,
            epoch: run_state.cancel_epoch,
        }
    }

    /// Runs an activity and returns its result. Retries follow the options'
    /// retry policy; the error is [`WorkflowError::Failed`] once it gives up.
    ///
    /// ```
    /// # #![allow(non_upper_case_globals)]
    /// # use std::time::Duration;
    /// # use workflow_client::{ActivityOptions, Payload, RetryPolicy};
    /// # use workflow_runtime::{Activity, WorkflowContext, WorkflowResult};
    /// # const charge_card: Activity<u64, String> = Activity::__new("charge_card", false, |a| Ok(vec![Payload::encode(&a)?]), |p| p.decode(), |_, _| Box::pin(async { Ok(Payload::null()) }));
    /// // `charge_card` is an `#[workflow::activity] async fn charge_card(cents: u64) -> Result<String, ApplicationError>`.
    /// async fn pay<W>(ctx: &WorkflowContext<W>, cents: u64) -> WorkflowResult<String> {
    ///     let options = ActivityOptions::start_to_close(Duration::from_secs(30))
    ///         .retry_policy(RetryPolicy { maximum_attempts: 3, ..RetryPolicy::default() });
    ///     ctx.execute_activity(charge_card, cents, options).await
    /// }
    /// ```
    pub fn execute_activity<A, O: 'static>(
        &self,
        activity: Activity<A, O>,
        args: A,
        options: ActivityOptions,
    ) -> impl Future<Output = WorkflowResult<O>> + 'static {
        let args = activity.encode(args);
        self.activity_call(activity.name(), args, options, false, activity.decoder())
    }

    /// Runs an activity by name (one registered elsewhere, or a dynamic one).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use workflow_client::ActivityOptions;
    /// # use workflow_runtime::{WorkflowContext, WorkflowResult};
    /// async fn translate<W>(ctx: &WorkflowContext<W>, text: String) -> WorkflowResult<String> {
    ///     let options = ActivityOptions::start_to_close(Duration::from_secs(10)).task_queue("python-translators");
    ///     ctx.execute_activity_by_name("translate", (text, "fr"), options).await
    /// }
    /// ```
    pub fn execute_activity_by_name<O: DeserializeOwned + 'static>(
        &self,
        name: &str,
        args: impl IntoArgs,
        options: ActivityOptions,
    ) -> impl Future<Output = WorkflowResult<O>> + 'static {
        self.activity_call(name, args.into_args(), options, false, Payload::decode::<O>)
    }

    /// Runs an activity in this workflow's worker, as Temporal's local
    /// activities: no task queue dispatch and no schedule event, only a
    /// marker with the outcome once it is final, which replay reads instead
    /// of running it again. Meant for short calls (a few seconds at most)
    /// where the cost of a regular activity's round trip matters; retries
    /// and timeouts follow `options`, whose task queue and heartbeat timeout
    /// are not used. An attempt may run again after a crash before its
    /// marker is recorded, so it must be safe to repeat, as any activity.
    ///
    /// ```
    /// # #![allow(non_upper_case_globals)]
    /// # use std::time::Duration;
    /// # use workflow_client::{ActivityOptions, Payload};
    /// # use workflow_runtime::{Activity, WorkflowContext, WorkflowResult};
    /// # const price_of: Activity<String, u64> = Activity::__new("price_of", false, |a| Ok(vec![Payload::encode(&a)?]), |p| p.decode(), |_, _| Box::pin(async { Ok(Payload::null()) }));
    /// // `price_of` is an `#[workflow::activity] async fn price_of(sku: String) -> anyhow::Result<u64>`.
    /// async fn total<W>(ctx: &WorkflowContext<W>, skus: Vec<String>) -> WorkflowResult<u64> {
    ///     let options = ActivityOptions::start_to_close(Duration::from_secs(5));
    ///     let mut total = 0;
    ///     for sku in skus {
    ///         total += ctx.execute_local_activity(price_of, sku, options.clone()).await?;
    ///     }
    ///     Ok(total)
    /// }
    /// ```
    pub fn execute_local_activity<A, O: 'static>(
        &self,
        activity: Activity<A, O>,
        args: A,
        options: ActivityOptions,
    ) -> impl Future<Output = WorkflowResult<O>> + 'static {
        let args = activity.encode(args);
        self.activity_call(activity.name(), args, options, true, activity.decoder())
    }

    fn activity_call<O: 'static>(
        &self,
        name: &str,
        args: Result<Vec<Payload>, workflow_client::PayloadError>,
        options: ActivityOptions,
        local: bool,
        decode: DecodeFn<O>,
    ) -> impl Future<Output = WorkflowResult<O>> + 'static {
        let cancellation = options.cancellation_type;
        let issued = args.map(|args| {
            let mut run_state = self.run_state.borrow_mut();
            let activity_type = name.to_owned();
            let seq = run_state.issue(|seq| match local {
                true => Command::ScheduleLocalActivity {
                    seq,
                    activity_type,
                    args,
                    options,
                    header: Headers::default(),
                },
                false => Command::ScheduleActivity {
                    seq,
                    activity_type,
                    args,
                    options,
                    header: Headers::default(),
                },
            });
            (seq, run_state.cancel_epoch)
        });
        let run_state = self.run_state.clone();
        let activity_type: Rc<str> = name.into();
        async move {
            let (seq, epoch) = issued?;
            let wait = Wait::Activity {
                seq,
                activity_type,
                local,
            };
            let cancel = match local {
                true => Command::RequestCancelLocalActivity { seq },
                false => Command::RequestCancelActivity { seq },
            };
            // Dropped before it resolves (it lost a race), the call cancels
            // the activity, unless it is to be abandoned.
            let (pending, on_cancel) = match cancellation {
                ActivityCancellationType::TryCancel => (
                    Some(CancelOnDrop::new(&run_state, seq, cancel.clone())),
                    OnCancel::Resolve(Some(cancel)),
                ),
                ActivityCancellationType::WaitCancellationCompleted => (
                    Some(CancelOnDrop::new(&run_state, seq, cancel.clone())),
                    OnCancel::Request(cancel),
                ),
                ActivityCancellationType::Abandon => (None, OnCancel::Resolve(None)),
            };
            let resolved = resolution(&run_state, seq, epoch, on_cancel, wait).await;
            if let Some(pending) = pending {
                pending.disarm();
            }
            match resolved? {
                Resolution::Activity(Ok(payload)) => Ok(decode(&payload)?),
                Resolution::Activity(Err(Failure::Canceled)) => Err(WorkflowError::Canceled),
                Resolution::Activity(Err(failure)) => Err(WorkflowError::Failed(failure)),
                other => unreachable_resolution(seq, other),
            }
        }
    }

    /// A typed handle to another workflow, for signalling or cancelling it.
    ///
    /// ```
    /// # #![allow(non_upper_case_globals)]
    /// # use workflow_client::{Payload, Run, Signal, WorkflowType};
    /// # use workflow_runtime::{WorkflowContext, WorkflowResult};
    /// # struct Inventory;
    /// # impl WorkflowType for Inventory { const NAME: &'static str = "Inventory"; type Output = (); }
    /// # impl Inventory {
    /// #     const run: Run<Self, ()> = Run::__new("run", |()| Ok(Vec::new()));
    /// #     const reserve: Signal<Self, (String, u32)> = Signal::__new("reserve", |(a, b)| Ok(vec![Payload::encode(&a)?, Payload::encode(&b)?]));
    /// # }
    /// async fn reserve<W>(ctx: &WorkflowContext<W>, item: String, count: u32) -> WorkflowResult<()> {
    ///     let inventory = ctx.external_workflow_for(Inventory::run, "inventory");
    ///     inventory.signal(Inventory::reserve, (item, count)).await
    /// }
    /// ```
    pub fn external_workflow_for<V: WorkflowType, A>(
        &self,
        _run: Run<V, A>,
        workflow_id: impl Into<String>,
    ) -> ExternalWorkflowHandle<V> {
        ExternalWorkflowHandle::new(self.run_state.clone(), workflow_id.into())
    }

    /// An untyped handle to another workflow: signals go by name.
    ///
    /// ```
    /// # use workflow_runtime::{WorkflowContext, WorkflowError, WorkflowResult};
    /// async fn notify<W>(ctx: &WorkflowContext<W>, order_id: &str) -> WorkflowResult<()> {
    ///     let shipping = ctx.external_workflow(format!("shipping-{order_id}"));
    ///     match shipping.signal_by_name("order_paid", (order_id,)).await {
    ///         // Nothing to notify: shipping has not started, or is done.
    ///         Err(WorkflowError::ExternalNotFound { .. }) => Ok(()),
    ///         other => other,
    ///     }
    /// }
    /// ```
    pub fn external_workflow(&self, workflow_id: impl Into<String>) -> ExternalWorkflowHandle<Untyped> {
        ExternalWorkflowHandle::new(self.run_state.clone(), workflow_id.into())
    }

    /// Starts a child workflow and returns a handle once it has started.
    /// An id already in use fails with [`WorkflowError::ChildAlreadyStarted`].
    ///
    /// ```
    /// # #![allow(non_upper_case_globals)]
    /// # use workflow_client::{Payload, Run, Signal, WorkflowType};
    /// # use workflow_runtime::{ChildWorkflowOptions, WorkflowContext, WorkflowResult};
    /// # struct Shipment;
    /// # impl WorkflowType for Shipment { const NAME: &'static str = "Shipment"; type Output = String; }
    /// # impl Shipment {
    /// #     const run: Run<Self, String> = Run::__new("run", |a| Ok(vec![Payload::encode(&a)?]));
    /// #     const expedite: Signal<Self, ()> = Signal::__new("expedite", |()| Ok(Vec::new()));
    /// # }
    /// async fn ship<W>(ctx: &WorkflowContext<W>, order_id: String) -> WorkflowResult<String> {
    ///     let options = ChildWorkflowOptions::new(format!("shipment-{order_id}"));
    ///     let shipment = ctx.start_child_workflow(Shipment::run, order_id, options).await?;
    ///     shipment.signal(Shipment::expedite, ()).await?;
    ///     shipment.result().await
    /// }
    /// ```
    pub fn start_child_workflow<V: WorkflowType, A>(
        &self,
        run: Run<V, A>,
        args: A,
        options: ChildWorkflowOptions,
    ) -> impl Future<Output = WorkflowResult<ChildWorkflowHandle<V>>> + 'static {
        let run_state = self.run_state.clone();
        let args = run.encode(args);
        async move {
            let args = args?;
            let (seq, epoch) = {
                let mut c = run_state.borrow_mut();
                let task_queue = options.task_queue.clone().unwrap_or_else(|| c.info.task_queue.clone());
                let workflow_id = options.workflow_id.clone();
                let seq = c.issue(|seq| Command::StartChild {
                    seq,
                    workflow_type: V::NAME.to_owned(),
                    workflow_id,
                    task_queue,
                    args,
                    run: Box::new(options.run.clone()),
                    parent_close_policy: options.parent_close_policy,
                    header: Headers::default(),
                });
                (seq, c.cancel_epoch)
            };
            let wait = Wait::ChildStart {
                workflow_id: options.workflow_id.as_str().into(),
            };
            match resolution(&run_state, seq, epoch, OnCancel::Wait, wait).await? {
                Resolution::ChildStart(Ok(run_id)) => Ok(ChildWorkflowHandle {
                    run_state: run_state.clone(),
                    seq,
                    workflow_id: options.workflow_id,
                    run_id,
                    _workflow: std::marker::PhantomData,
                }),
                Resolution::ChildStart(Err(_)) => Err(WorkflowError::ChildAlreadyStarted {
                    workflow_id: options.workflow_id,
                }),
                other => unreachable_resolution(seq, other),
            }
        }
    }

    /// Starts a child workflow and waits for its result.
    ///
    /// ```
    /// # #![allow(non_upper_case_globals)]
    /// # use workflow_client::{Payload, Run, WorkflowType};
    /// # use workflow_runtime::{ChildWorkflowOptions, WorkflowContext, WorkflowResult};
    /// # struct Shipment;
    /// # impl WorkflowType for Shipment { const NAME: &'static str = "Shipment"; type Output = String; }
    /// # impl Shipment {
    /// #     const run: Run<Self, String> = Run::__new("run", |a| Ok(vec![Payload::encode(&a)?]));
    /// # }
    /// async fn ship<W>(ctx: &WorkflowContext<W>, order_id: String) -> WorkflowResult<String> {
    ///     let options = ChildWorkflowOptions::new(format!("shipment-{order_id}")).task_queue("shipping");
    ///     ctx.execute_child_workflow(Shipment::run, order_id, options).await
    /// }
    /// ```
    pub fn execute_child_workflow<V: WorkflowType, A>(
        &self,
        run: Run<V, A>,
        args: A,
        options: ChildWorkflowOptions,
    ) -> impl Future<Output = WorkflowResult<V::Output>> + 'static {
        let started = self.start_child_workflow(run, args, options);
        async move { started.await?.result().await }
    }
}

/// Waits for the resolution of command `seq`. When the workflow is canceled
/// first, issues `on_cancel` (if any) and fails with `Canceled`.
fn resolution(
    run_state: &SharedRunState,
    seq: u32,
    epoch: u32,
    on_cancel: OnCancel,
    wait: Wait,
) -> impl Future<Output = WorkflowResult<Resolution>> + 'static {
    let run_state = run_state.clone();
    let mut on_cancel = on_cancel;
    poll_fn(move |_| {
        let mut c = run_state.borrow_mut();
        if let Some(r) = c.resolved.remove(&seq) {
            return Poll::Ready(Ok(r));
        }
        if c.cancel_epoch > epoch {
            match std::mem::replace(&mut on_cancel, OnCancel::Wait) {
                OnCancel::Wait => {}
                OnCancel::Resolve(command) => {
                    c.commands.extend(command);
                    return Poll::Ready(Err(WorkflowError::Canceled));
                }
                OnCancel::Request(command) => c.commands.push(command),
            }
        }
        c.waiting_on(wait.clone())
    })
}

/// What a pending call does when its workflow is canceled.
enum OnCancel {
    /// Nothing: it waits for its resolution.
    Wait,
    /// Issues the command, if any, and resolves as canceled at once.
    Resolve(Option<Command>),
    /// Issues the command and waits for the resolution it brings.
    Request(Command),
}

fn unreachable_resolution<T>(seq: u32, other: Resolution) -> WorkflowResult<T> {
    Err(WorkflowError::Application(workflow_client::ApplicationError::new(
        format!("command {seq} was resolved with an unexpected result: {other:?}"),
    )))
}

/// Issues a cancellation command when dropped while armed: a timer or an
/// activity whose future is dropped before it resolved (it lost a race, say)
/// is canceled, and history records it.
struct CancelOnDrop {
    run_state: SharedRunState,
    /// The call's `seq`: if its resolution has arrived, there is nothing to cancel.
    seq: u32,
    command: std::cell::Cell<Option<Command>>,
}

impl CancelOnDrop {
    fn new(run_state: &SharedRunState, seq: u32, command: Command) -> Self {
        CancelOnDrop {
            run_state: run_state.clone(),
            seq,
            command: std::cell::Cell::new(Some(command)),
        }
    }

    /// The call resolved, or was canceled another way: nothing to issue.
    fn disarm(&self) {
        self.command.set(None);
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        let Some(command) = self.command.take() else {
            return;
        };
        // Never panic in drop: a run being torn down may hold its state.
        if let Ok(mut run_state) = self.run_state.try_borrow_mut() {
            let resolved = run_state.resolved.remove(&self.seq).is_some();
            // Started in this very activation: Temporal's Core would drop the
            // start and the cancel together and record neither, so the call
            // is left to run on both engines alike.
            let seq = self.seq;
            let unsent = run_state.commands.iter().any(|c| {
                matches!(c, Command::StartTimer { seq: s, .. } | Command::ScheduleActivity { seq: s, .. }
                    | Command::ScheduleLocalActivity { seq: s, .. } if *s == seq)
            });
            if !resolved && !unsent && !run_state.closed {
                run_state.commands.push(command);
                run_state.progress += 1;
            }
        }
    }
}

/// A durable timer; resolves when it fires. Dropping it before it fires
/// cancels it (`TimerCanceled` in history), so a timer that lost a race
/// does not linger; one dropped in the activation that started it is left
/// to fire, as Temporal records no cancellation of a command not yet sent.
pub struct Sleep {
    run_state: SharedRunState,
    seq: u32,
    duration: Duration,
    epoch: u32,
    pending: CancelOnDrop,
}

impl Sleep {
    /// Cancels the timer unless it has already fired.
    fn cancel(&self) {
        self.pending.disarm();
        let mut run_state = self.run_state.borrow_mut();
        if run_state.resolved.remove(&self.seq).is_none() {
            run_state.commands.push(Command::CancelTimer { seq: self.seq });
        }
    }
}

impl Future for Sleep {
    type Output = WorkflowResult<()>;

    fn poll(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> Poll<Self::Output> {
        let mut run_state = self.run_state.borrow_mut();
        if run_state.resolved.remove(&self.seq).is_some() {
            self.pending.disarm();
            return Poll::Ready(Ok(()));
        }
        if run_state.cancel_epoch > self.epoch {
            self.pending.disarm();
            run_state.commands.push(Command::CancelTimer { seq: self.seq });
            return Poll::Ready(Err(WorkflowError::Canceled));
        }
        let timer = Wait::Timer {
            seq: self.seq,
            duration: self.duration,
        };
        run_state.waiting_on(timer)
    }
}

/// Options of a child workflow: its id, and its task queue if not the
/// parent's.
///
/// ```
/// # use workflow_runtime::ChildWorkflowOptions;
/// // Derive the id from the parent's data, so a replay starts the same child.
/// let order_id = "A-1017";
/// let options = ChildWorkflowOptions::new(format!("shipment-{order_id}")).task_queue("shipping");
/// ```
#[derive(Clone, Debug)]
pub struct ChildWorkflowOptions {
    workflow_id: String,
    task_queue: Option<String>,
    run: RunOptions,
    parent_close_policy: ParentClosePolicy,
}

impl ChildWorkflowOptions {
    /// A child with this workflow id, on the parent's task queue.
    pub fn new(workflow_id: impl Into<String>) -> Self {
        ChildWorkflowOptions {
            workflow_id: workflow_id.into(),
            task_queue: None,
            run: RunOptions::default(),
            parent_close_policy: ParentClosePolicy::Terminate,
        }
    }

    /// Runs the child on another task queue.
    pub fn task_queue(mut self, task_queue: impl Into<String>) -> Self {
        self.task_queue = Some(task_queue.into());
        self
    }

    /// What happens to the child if the parent closes first (default:
    /// it is terminated).
    ///
    /// ```
    /// # use workflow_client::ParentClosePolicy;
    /// # use workflow_runtime::ChildWorkflowOptions;
    /// // The report goes on after the order that asked for it closes.
    /// let options = ChildWorkflowOptions::new("report-7").parent_close_policy(ParentClosePolicy::Abandon);
    /// ```
    pub fn parent_close_policy(mut self, policy: ParentClosePolicy) -> Self {
        self.parent_close_policy = policy;
        self
    }

    /// The child's timeouts, retry policy, memo and search attributes, as a
    /// start's (`start_delay` does not apply to a child).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use workflow_client::{RetryPolicy, RunOptions};
    /// # use workflow_runtime::ChildWorkflowOptions;
    /// let run = RunOptions {
    ///     run_timeout: Some(Duration::from_secs(3600)),
    ///     retry_policy: Some(RetryPolicy { maximum_attempts: 3, ..RetryPolicy::default() }),
    ///     ..RunOptions::default()
    /// };
    /// let options = ChildWorkflowOptions::new("shipment-7").run_options(run);
    /// ```
    pub fn run_options(mut self, run: RunOptions) -> Self {
        self.run = RunOptions {
            start_delay: None,
            ..run
        };
        self
    }
}

/// A started child workflow, from
/// [`WorkflowContext::start_child_workflow`]: signal it, or wait for its
/// result.
pub struct ChildWorkflowHandle<V> {
    run_state: SharedRunState,
    seq: u32,
    workflow_id: String,
    run_id: String,
    _workflow: std::marker::PhantomData<fn() -> V>,
}

impl<V: WorkflowType> ChildWorkflowHandle<V> {
    /// The child's workflow id.
    pub fn id(&self) -> &str {
        &self.workflow_id
    }

    /// The child's run id.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// Signals the child.
    pub fn signal<A>(&self, signal: Signal<V, A>, args: A) -> impl Future<Output = WorkflowResult<()>> + 'static {
        ExternalWorkflowHandle::<V>::new(self.run_state.clone(), self.workflow_id.clone()).signal(signal, args)
    }

    /// Requests cancellation of the child, on its own (the parent goes on);
    /// resolves once the request is in the child's history. The child
    /// decides how to finish: one that ends as canceled gives
    /// [`result`](Self::result) a [`WorkflowError::Failed`] with a
    /// `Failure::ChildWorkflow` whose cause is `Failure::Canceled`.
    ///
    /// ```
    /// # #![allow(non_upper_case_globals)]
    /// # use workflow_client::{Payload, Run, WorkflowType};
    /// # use workflow_runtime::{ChildWorkflowOptions, WorkflowContext, WorkflowResult};
    /// # struct Search;
    /// # impl WorkflowType for Search { const NAME: &'static str = "Search"; type Output = String; }
    /// # impl Search { const run: Run<Self, String> = Run::__new("run", |a| Ok(vec![Payload::encode(&a)?])); }
    /// async fn first_answer<W>(ctx: &WorkflowContext<W>, query: String) -> WorkflowResult<()> {
    ///     let search = ctx.start_child_workflow(Search::run, query, ChildWorkflowOptions::new("search-7")).await?;
    ///     // Found elsewhere: the child's work is no longer needed.
    ///     search.cancel().await
    /// }
    /// ```
    pub fn cancel(&self) -> impl Future<Output = WorkflowResult<()>> + 'static {
        ExternalWorkflowHandle::<V>::new(self.run_state.clone(), self.workflow_id.clone()).cancel()
    }

    /// Waits for the child to close and returns its result.
    pub fn result(self) -> impl Future<Output = WorkflowResult<V::Output>> + 'static {
        let (run_state, seq) = (self.run_state, self.seq);
        let wait = Wait::ChildResult {
            workflow_id: self.workflow_id.into(),
        };
        poll_fn(move |_| {
            let mut run_state = run_state.borrow_mut();
            match run_state.child_results.remove(&seq) {
                Some(Ok(payload)) => Poll::Ready(payload.decode().map_err(WorkflowError::from)),
                Some(Err(failure)) => Poll::Ready(Err(WorkflowError::Failed(failure))),
                None => run_state.waiting_on(wait.clone()),
            }
        })
    }
}

/// A handle to another workflow, from inside a workflow: from
/// [`WorkflowContext::external_workflow_for`] (typed) or
/// [`WorkflowContext::external_workflow`] (by name). Signals and
/// cancellation requests sent through it are recorded in both histories.
pub struct ExternalWorkflowHandle<V> {
    run_state: SharedRunState,
    workflow_id: String,
    _workflow: std::marker::PhantomData<fn() -> V>,
}

impl<V> ExternalWorkflowHandle<V> {
    fn new(run_state: SharedRunState, workflow_id: String) -> Self {
        ExternalWorkflowHandle {
            run_state,
            workflow_id,
            _workflow: std::marker::PhantomData,
        }
    }

    /// The target workflow id.
    pub fn id(&self) -> &str {
        &self.workflow_id
    }

    /// Signals the workflow; resolves once the signal is in its history.
    /// The command is issued now, so several signals may be in flight at once
    /// (up to the pending-outgoing-signals limit).
    pub fn signal<A>(&self, signal: Signal<V, A>, args: A) -> impl Future<Output = WorkflowResult<()>> + 'static {
        self.send(signal.name(), signal.encode(args))
    }

    /// Signals the workflow by name.
    pub fn signal_by_name(
        &self,
        name: &str,
        args: impl IntoArgs,
    ) -> impl Future<Output = WorkflowResult<()>> + 'static {
        self.send(name, args.into_args())
    }

    fn send(
        &self,
        name: &str,
        args: Result<Vec<Payload>, workflow_client::PayloadError>,
    ) -> impl Future<Output = WorkflowResult<()>> + 'static {
        let issued = args.map_err(WorkflowError::from).and_then(|args| {
            let mut run_state = self.run_state.borrow_mut();
            let max = run_state.max_pending_outgoing_signals;
            if run_state.pending_outgoing_signals >= max {
                return Err(WorkflowError::LimitExceeded {
                    limit: Limit::PendingOutgoingSignals,
                    max,
                });
            }
            run_state.pending_outgoing_signals += 1;
            let workflow_id = self.workflow_id.clone();
            let seq = run_state.issue(|seq| Command::SignalExternal {
                seq,
                workflow_id,
                name: name.to_owned(),
                args,
                header: Headers::default(),
            });
            Ok((seq, run_state.cancel_epoch))
        });
        let run_state = self.run_state.clone();
        let workflow_id = self.workflow_id.clone();
        let wait = Wait::SignalExternal {
            workflow_id: workflow_id.as_str().into(),
            signal: name.into(),
        };
        async move {
            let (seq, epoch) = issued?;
            let outcome = resolution(&run_state, seq, epoch, OnCancel::Wait, wait).await;
            run_state.borrow_mut().pending_outgoing_signals -= 1;
            external_outcome(seq, outcome?, workflow_id)
        }
    }

    /// Requests cancellation of the workflow; resolves once the request is
    /// in its history. It fails with [`WorkflowError::ExternalNotFound`]
    /// when no open run has the id.
    ///
    /// ```
    /// # use workflow_runtime::{WorkflowContext, WorkflowResult};
    /// async fn stop_shipping<W>(ctx: &WorkflowContext<W>, order_id: &str) -> WorkflowResult<()> {
    ///     ctx.external_workflow(format!("shipping-{order_id}")).cancel().await
    /// }
    /// ```
    pub fn cancel(&self) -> impl Future<Output = WorkflowResult<()>> + 'static {
        let (seq, epoch) = {
            let mut run_state = self.run_state.borrow_mut();
            let workflow_id = self.workflow_id.clone();
            let seq = run_state.issue(|seq| Command::CancelExternal { seq, workflow_id });
            (seq, run_state.cancel_epoch)
        };
        let run_state = self.run_state.clone();
        let workflow_id = self.workflow_id.clone();
        let wait = Wait::CancelExternal {
            workflow_id: workflow_id.as_str().into(),
        };
        async move {
            external_outcome(
                seq,
                resolution(&run_state, seq, epoch, OnCancel::Wait, wait).await?,
                workflow_id,
            )
        }
    }
}

fn external_outcome(seq: u32, resolution: Resolution, workflow_id: String) -> WorkflowResult<()> {
    match resolution {
        Resolution::External(Ok(())) => Ok(()),
        Resolution::External(Err(ExternalFailureCause::NotFound)) => {
            Err(WorkflowError::ExternalNotFound { workflow_id })
        }
        Resolution::External(Err(ExternalFailureCause::LimitExceeded)) => {
            Err(WorkflowError::ExternalLimitExceeded { workflow_id })
        }
        other => unreachable_resolution(seq, other),
    }
}
