//! The store as a contract over time: files written by earlier releases
//! open and carry on.

mod ledger;
mod migration;
