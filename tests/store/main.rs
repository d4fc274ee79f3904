//! The store over time: files of earlier releases open and carry on, newer
//! ones are refused, runs load lazily, closed runs expire, a corrupt run is
//! contained, the file can be backed up and survives a full disk, and every
//! run in it replays against changed code.

mod backup;
mod capture;
mod containment;
mod disk_full;
mod lazy;
mod ledger;
mod migration;
mod newer;
mod replay;
mod retention;
