//! Behaviour of the DSL: one test per semantic, each run on every engine
//! flavor (memory, SQLite file, replay on every activation, and a Temporal
//! server with the `temporal` feature).

// Some workflows and helpers serve only the Temporal flavor.
#![cfg_attr(not(feature = "temporal"), allow(dead_code))]

mod reminder;
mod support;
mod workflows;

mod activities;
mod async_completion;
mod bad_input;
mod builtin_queries;
mod child_options;
mod codec;
mod concurrency;
mod determinism;
mod durability;
mod dynamic;
mod entity;
mod external;
mod heartbeats;
mod id_policies;
mod interceptors;
mod lifecycle;
mod limits;
mod local_activities;
mod observability;
mod queries;
mod run_options;
mod schedules;
mod search_attributes;
mod signals;
mod stateful;
mod trace_propagation;
mod updates;
mod versioning;
mod visibility;
