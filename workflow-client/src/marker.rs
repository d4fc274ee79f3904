//! Marker values naming a workflow's run method and handlers for typed calls.
//!
//! `#[workflow::defn]` turns each handler method into an associated const of
//! one of these types (`GreetingWorkflow::submit_greeting` is a
//! [`Signal<GreetingWorkflow, String>`]), so the compiler checks that a call
//! targets the right workflow, the right kind of handler and the right
//! argument type.

use std::fmt;
use std::marker::PhantomData;

use serde::de::DeserializeOwned;

use crate::payload::{Payload, PayloadError, RawValue};

/// Implemented by `#[workflow::defn]` for each workflow type.
pub trait WorkflowType: 'static {
    /// The workflow type's wire name.
    const NAME: &'static str;
    /// What the run method returns on success.
    type Output: DeserializeOwned;
}

/// The workflow type of a handle obtained by id alone: calls go by name and
/// the result is a [`RawValue`].
#[derive(Clone, Copy, Debug)]
pub enum Untyped {}

impl WorkflowType for Untyped {
    const NAME: &'static str = "";
    type Output = RawValue;
}

/// Encodes a marker's arguments, one payload each.
pub type EncodeFn<A> = fn(A) -> Result<Vec<Payload>, PayloadError>;

/// Decodes a handler's or activity's result. The marker carries it, so a
/// typed call needs no serde bound of its own: a result type without serde
/// derives is reported once, where the handler is defined.
pub type DecodeFn<O> = fn(&Payload) -> Result<O, PayloadError>;

macro_rules! marker {
    ($(#[$doc:meta])* $ty:ident <$($p:ident),*> $(-> $o:ident)?) => {
        $(#[$doc])*
        pub struct $ty<$($p),*> {
            name: &'static str,
            encode: EncodeFn<A>,
            $(decode: DecodeFn<$o>,)?
            _types: PhantomData<fn() -> ($($p,)*)>,
        }

        impl<$($p),*> $ty<$($p),*> {
            #[doc(hidden)]
            pub const fn __new(name: &'static str, encode: EncodeFn<A> $(, decode: DecodeFn<$o>)?) -> Self {
                $ty { name, encode, $(decode: decode as DecodeFn<$o>,)? _types: PhantomData }
            }

            $(
                /// Decodes the handler's result.
                pub fn decode(&self, payload: &Payload) -> Result<$o, PayloadError> {
                    (self.decode)(payload)
                }

                pub(crate) fn decoder(&self) -> DecodeFn<$o> {
                    self.decode
                }
            )?

            /// The wire name.
            pub fn name(&self) -> &'static str {
                self.name
            }

            /// Encodes arguments for this handler, one payload each.
            pub fn encode(&self, args: A) -> Result<Vec<Payload>, PayloadError> {
                (self.encode)(args)
            }
        }

        impl<$($p),*> Clone for $ty<$($p),*> {
            fn clone(&self) -> Self {
                *self
            }
        }

        impl<$($p),*> Copy for $ty<$($p),*> {}

        impl<$($p),*> fmt::Debug for $ty<$($p),*> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($ty), "({:?})"), self.name)
            }
        }
    };
}

marker! {
    /// A workflow's run method taking `A`: what `start_workflow` needs.
    Run<W, A>
}
marker! {
    /// A signal handler of workflow `W` taking `A`.
    Signal<W, A>
}
marker! {
    /// A query handler of workflow `W` taking `A` and returning `O`.
    Query<W, A, O> -> O
}
marker! {
    /// An update handler of workflow `W` taking `A` and returning `O`.
    Update<W, A, O> -> O
}
