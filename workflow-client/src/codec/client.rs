//! The client's side of the codec boundary: a [`Backend`] that encodes
//! what a client sends and decodes what it reads back.

use std::sync::Arc;

use super::visit::{decode_payloads, encode_payloads, HoldsPayloads};
use super::PayloadCodec;
use crate::backend::{Backend, BoxFuture, Execution, Message, StartRequest, UpdateRequest, UpdateStatus};
use crate::error::ClientError;
use crate::failure::{ApplicationError, Failure};
use crate::history::{Description, History};
use crate::payload::Payload;
use crate::schedule::{ScheduleDefinition, ScheduleOp, ScheduleReply, ScheduleSummary};
use crate::task_token::TaskToken;
use crate::visibility::WorkflowPage;

/// `inner`, with payloads encoded on the way out and decoded on the way in.
pub(crate) struct Encoded {
    pub(crate) inner: Arc<dyn Backend>,
    pub(crate) codec: Arc<dyn PayloadCodec>,
}

impl Encoded {
    fn encode<T: HoldsPayloads>(&self, mut value: T) -> Result<T, ClientError> {
        encode_payloads(&*self.codec, &mut value)?;
        Ok(value)
    }

    fn encode_start(&self, mut request: StartRequest) -> Result<StartRequest, ClientError> {
        request.args = self.encode(request.args)?;
        if let Some((name, args)) = request.start_signal.take() {
            request.start_signal = Some((name, self.encode(args)?));
        }
        Ok(request)
    }

    fn encode_action(&self, mut definition: Box<ScheduleDefinition>) -> Result<Box<ScheduleDefinition>, ClientError> {
        definition.action = self.encode_start(definition.action.clone())?;
        Ok(definition)
    }

    fn encode_update(&self, mut request: UpdateRequest) -> Result<UpdateRequest, ClientError> {
        request.args = self.encode(request.args)?;
        Ok(request)
    }

    /// The inner call's answer, decoded.
    fn decoded<T: HoldsPayloads + Send + 'static>(
        &self,
        call: BoxFuture<Result<T, ClientError>>,
    ) -> BoxFuture<Result<T, ClientError>> {
        let codec = self.codec.clone();
        Box::pin(async move {
            let mut value = call.await?;
            decode_payloads(&*codec, &mut value)?;
            Ok(value)
        })
    }
}

/// A call that failed before reaching the engine.
fn failed<T: Send + 'static>(error: ClientError) -> BoxFuture<Result<T, ClientError>> {
    Box::pin(async move { Err(error) })
}

impl HoldsPayloads for UpdateStatus {
    fn visit_payloads(
        &mut self,
        f: &mut dyn FnMut(&mut Vec<Payload>) -> Result<(), super::CodecError>,
    ) -> Result<(), super::CodecError> {
        match self {
            UpdateStatus::Accepted => Ok(()),
            UpdateStatus::Completed(outcome) => outcome.visit_payloads(f),
        }
    }
}

impl HoldsPayloads for History {
    fn visit_payloads(
        &mut self,
        f: &mut dyn FnMut(&mut Vec<Payload>) -> Result<(), super::CodecError>,
    ) -> Result<(), super::CodecError> {
        self.events
            .iter_mut()
            .try_for_each(|event| event.kind.visit_payloads(f))
    }
}

impl Backend for Encoded {
    fn start(&self, request: StartRequest) -> BoxFuture<Result<String, ClientError>> {
        match self.encode_start(request) {
            Ok(request) => self.inner.start(request),
            Err(e) => failed(e),
        }
    }

    fn signal(&self, target: Execution, mut signal: Message) -> BoxFuture<Result<(), ClientError>> {
        match self.encode(std::mem::take(&mut signal.args)) {
            Ok(args) => self.inner.signal(target, Message { args, ..signal }),
            Err(e) => failed(e),
        }
    }

    fn query(&self, target: Execution, mut query: Message) -> BoxFuture<Result<Payload, ClientError>> {
        match self.encode(std::mem::take(&mut query.args)) {
            Ok(args) => self.decoded(self.inner.query(target, Message { args, ..query })),
            Err(e) => failed(e),
        }
    }

    fn update(&self, target: Execution, request: UpdateRequest) -> BoxFuture<Result<UpdateStatus, ClientError>> {
        match self.encode_update(request) {
            Ok(request) => self.decoded(self.inner.update(target, request)),
            Err(e) => failed(e),
        }
    }

    fn update_with_start(
        &self,
        start: StartRequest,
        update: UpdateRequest,
    ) -> BoxFuture<Result<UpdateStatus, ClientError>> {
        match (self.encode_start(start), self.encode_update(update)) {
            (Ok(start), Ok(update)) => self.decoded(self.inner.update_with_start(start, update)),
            (Err(e), _) | (_, Err(e)) => failed(e),
        }
    }

    fn update_result(
        &self,
        target: Execution,
        update_id: String,
    ) -> BoxFuture<Result<Result<Payload, Failure>, ClientError>> {
        self.decoded(self.inner.update_result(target, update_id))
    }

    fn result(&self, target: Execution) -> BoxFuture<Result<Payload, ClientError>> {
        self.decoded(self.inner.result(target))
    }

    fn cancel(&self, target: Execution, reason: String) -> BoxFuture<Result<(), ClientError>> {
        self.inner.cancel(target, reason)
    }

    fn terminate(&self, target: Execution, reason: String) -> BoxFuture<Result<(), ClientError>> {
        self.inner.terminate(target, reason)
    }

    fn describe(&self, target: Execution) -> BoxFuture<Result<Description, ClientError>> {
        self.inner.describe(target)
    }

    fn history(&self, target: Execution) -> BoxFuture<Result<History, ClientError>> {
        self.decoded(self.inner.history(target))
    }

    fn complete_activity(
        &self,
        token: TaskToken,
        outcome: Result<Payload, ApplicationError>,
    ) -> BoxFuture<Result<(), ClientError>> {
        match self.encode(outcome) {
            Ok(outcome) => self.inner.complete_activity(token, outcome),
            Err(e) => failed(e),
        }
    }

    fn heartbeat_activity(&self, token: TaskToken, details: Vec<Payload>) -> BoxFuture<Result<(), ClientError>> {
        self.inner.heartbeat_activity(token, details)
    }

    fn list_workflows(
        &self,
        query: String,
        page_size: usize,
        page_token: Option<Vec<u8>>,
    ) -> BoxFuture<Result<WorkflowPage, ClientError>> {
        self.inner.list_workflows(query, page_size, page_token)
    }

    fn count_workflows(&self, query: String) -> BoxFuture<Result<u64, ClientError>> {
        self.inner.count_workflows(query)
    }

    fn schedule(&self, schedule_id: String, op: ScheduleOp) -> BoxFuture<Result<ScheduleReply, ClientError>> {
        let op = match op {
            ScheduleOp::Create(definition) => self.encode_action(definition).map(ScheduleOp::Create),
            ScheduleOp::Update(definition) => self.encode_action(definition).map(ScheduleOp::Update),
            op => Ok(op),
        };
        match op {
            Ok(op) => self.inner.schedule(schedule_id, op),
            Err(e) => failed(e),
        }
    }

    fn list_schedules(&self) -> BoxFuture<Result<Vec<ScheduleSummary>, ClientError>> {
        self.inner.list_schedules()
    }
}
