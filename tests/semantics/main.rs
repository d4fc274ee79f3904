//! Behaviour of the DSL on the embedded engine: one test per semantic, each
//! run on every engine flavor (memory, SQLite file, replay on every activation).

mod support;
mod workflows;

mod activities;
mod durability;
mod dynamic;
mod external;
mod lifecycle;
mod limits;
mod queries;
mod signals;
mod updates;
