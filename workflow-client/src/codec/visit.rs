//! Where payloads sit in what crosses the codec boundary: a visitor over
//! each list of payloads, so a codec applies to every one and to nothing
//! else (search attributes stay readable, to be indexed).

use super::{CodecError, PayloadCodec};
use crate::history::{EventKind, Marker};
use crate::payload::Payload;

/// Something holding payloads: the visitor sees each list in turn.
pub trait HoldsPayloads {
    /// Calls `f` on each list of payloads held, in a fixed order.
    fn visit_payloads(
        &mut self,
        f: &mut dyn FnMut(&mut Vec<Payload>) -> Result<(), CodecError>,
    ) -> Result<(), CodecError>;
}

/// Runs `f` on one payload as a list of one.
fn visit_one(
    payload: &mut Payload,
    f: &mut dyn FnMut(&mut Vec<Payload>) -> Result<(), CodecError>,
) -> Result<(), CodecError> {
    let mut list = vec![std::mem::replace(payload, Payload::null())];
    f(&mut list)?;
    match <[Payload; 1]>::try_from(list) {
        Ok([one]) => {
            *payload = one;
            Ok(())
        }
        Err(list) => Err(CodecError::new(format!(
            "a codec turned one payload into {}",
            list.len()
        ))),
    }
}

/// Encodes every payload `value` holds with `codec`.
pub fn encode_payloads(codec: &dyn PayloadCodec, value: &mut impl HoldsPayloads) -> Result<(), CodecError> {
    value.visit_payloads(&mut |list| apply(list, |p| codec.encode(p)))
}

/// Decodes every payload `value` holds with `codec`.
pub fn decode_payloads(codec: &dyn PayloadCodec, value: &mut impl HoldsPayloads) -> Result<(), CodecError> {
    value.visit_payloads(&mut |list| apply(list, |p| codec.decode(p)))
}

fn apply(
    list: &mut Vec<Payload>,
    f: impl FnOnce(Vec<Payload>) -> Result<Vec<Payload>, CodecError>,
) -> Result<(), CodecError> {
    let len = list.len();
    let out = f(std::mem::take(list))?;
    if out.len() != len {
        return Err(CodecError::new(format!(
            "a codec turned {len} payloads into {}",
            out.len()
        )));
    }
    *list = out;
    Ok(())
}

impl HoldsPayloads for Vec<Payload> {
    fn visit_payloads(
        &mut self,
        f: &mut dyn FnMut(&mut Vec<Payload>) -> Result<(), CodecError>,
    ) -> Result<(), CodecError> {
        f(self)
    }
}

impl HoldsPayloads for Payload {
    fn visit_payloads(
        &mut self,
        f: &mut dyn FnMut(&mut Vec<Payload>) -> Result<(), CodecError>,
    ) -> Result<(), CodecError> {
        visit_one(self, f)
    }
}

impl<E> HoldsPayloads for Result<Payload, E> {
    fn visit_payloads(
        &mut self,
        f: &mut dyn FnMut(&mut Vec<Payload>) -> Result<(), CodecError>,
    ) -> Result<(), CodecError> {
        match self {
            Ok(payload) => visit_one(payload, f),
            Err(_) => Ok(()),
        }
    }
}

impl HoldsPayloads for EventKind {
    fn visit_payloads(
        &mut self,
        f: &mut dyn FnMut(&mut Vec<Payload>) -> Result<(), CodecError>,
    ) -> Result<(), CodecError> {
        match self {
            EventKind::WorkflowExecutionStarted { input, .. }
            | EventKind::WorkflowExecutionSignaled { input, .. }
            | EventKind::WorkflowExecutionUpdateAccepted { input, .. }
            | EventKind::ActivityTaskScheduled { input, .. }
            | EventKind::SignalExternalWorkflowExecutionInitiated { input, .. }
            | EventKind::StartChildWorkflowExecutionInitiated { input, .. }
            | EventKind::WorkflowExecutionContinuedAsNew { input, .. } => f(input),
            EventKind::WorkflowExecutionUpdateCompleted { outcome, .. } => outcome.visit_payloads(f),
            EventKind::ActivityTaskCompleted { result, .. }
            | EventKind::ChildWorkflowExecutionCompleted { result, .. }
            | EventKind::WorkflowExecutionCompleted { result, .. } => visit_one(result, f),
            EventKind::MarkerRecorded {
                marker: Marker::LocalActivity { result, .. },
            } => result.visit_payloads(f),
            _ => Ok(()),
        }
    }
}
