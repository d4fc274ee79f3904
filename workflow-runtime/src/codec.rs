//! The worker's side of the codec boundary: a run whose jobs are decoded
//! before its code sees them and whose commands are encoded after, and
//! activities whose arguments are decoded and results encoded, the same on
//! both engines.

use std::sync::Arc;

use workflow_client::codec::{decode_payloads, encode_payloads, CodecError, HoldsPayloads, PayloadCodec};
use workflow_client::{ApplicationError, Client, Failure, Headers, Payload};

use crate::activity::Execute;
use crate::executor::{QueryError, RunInstance, TaskFailure};
use crate::protocol::{Activation, Command, Job};

/// The error type of an activity attempt whose payloads the codec refused.
const CODEC_ERROR_TYPE: &str = "PayloadCodecError";

/// A run instance behind `codec`.
pub(crate) struct CodecRun {
    pub(crate) inner: Box<dyn RunInstance>,
    pub(crate) codec: Arc<dyn PayloadCodec>,
}

fn task_failure(error: CodecError) -> TaskFailure {
    TaskFailure {
        message: error.to_string(),
    }
}

fn query_failure(error: CodecError) -> QueryError {
    QueryError::Failed(Failure::Application(
        ApplicationError::new(error.to_string()).with_type(CODEC_ERROR_TYPE),
    ))
}

impl RunInstance for CodecRun {
    fn activate(&mut self, mut activation: Activation) -> Result<Vec<Command>, TaskFailure> {
        for job in &mut activation.jobs {
            decode_payloads(&*self.codec, job).map_err(task_failure)?;
        }
        let mut commands = self.inner.activate(activation)?;
        for command in &mut commands {
            encode_payloads(&*self.codec, command).map_err(task_failure)?;
        }
        Ok(commands)
    }

    fn query(&self, name: &str, mut args: Vec<Payload>, header: &Headers) -> Result<Payload, QueryError> {
        decode_payloads(&*self.codec, &mut args).map_err(query_failure)?;
        let mut answer = self.inner.query(name, args, header)?;
        encode_payloads(&*self.codec, &mut answer).map_err(query_failure)?;
        Ok(answer)
    }

    fn unhandled_signals(&self) -> &[String] {
        self.inner.unhandled_signals()
    }
}

/// `client` behind `codec`, when there is one.
pub(crate) fn client_behind(client: Client, codec: Option<&Arc<dyn PayloadCodec>>) -> Client {
    match codec {
        Some(codec) => client.with_codec(codec.clone()),
        None => client,
    }
}

/// `execute` behind `codec`: arguments decoded, the result encoded.
pub(crate) fn codec_activity(execute: Execute, codec: Arc<dyn PayloadCodec>) -> Execute {
    Arc::new(move |ctx, mut args| {
        let (execute, codec) = (execute.clone(), codec.clone());
        Box::pin(async move {
            let refused = |e: CodecError| ApplicationError::new(e.to_string()).with_type(CODEC_ERROR_TYPE);
            decode_payloads(&*codec, &mut args).map_err(refused)?;
            let mut result = execute(ctx, args).await?;
            encode_payloads(&*codec, &mut result).map_err(refused)?;
            Ok(result)
        })
    })
}

type Visitor<'a> = &'a mut dyn FnMut(&mut Vec<Payload>) -> Result<(), CodecError>;

impl HoldsPayloads for Job {
    fn visit_payloads(&mut self, f: Visitor<'_>) -> Result<(), CodecError> {
        match self {
            Job::Start { args, .. } | Job::Signal { args, .. } | Job::Update { args, .. } => f(args),
            Job::ResolveActivity { result, .. } | Job::ResolveChild { result, .. } => result.visit_payloads(f),
            _ => Ok(()),
        }
    }
}

impl HoldsPayloads for Command {
    fn visit_payloads(&mut self, f: Visitor<'_>) -> Result<(), CodecError> {
        match self {
            Command::ScheduleActivity { args, .. }
            | Command::ScheduleLocalActivity { args, .. }
            | Command::SignalExternal { args, .. }
            | Command::StartChild { args, .. }
            | Command::ContinueAsNew { args, .. } => f(args),
            Command::Complete(result) => result.visit_payloads(f),
            Command::UpdateCompleted { outcome, .. } => outcome.visit_payloads(f),
            _ => Ok(()),
        }
    }
}
