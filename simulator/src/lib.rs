//! The national side of the linkage, simulated: every box a vendor's system talks to.
//!
//! One module per system. The simulator knows nothing of Gherkin or of the runner: it serves
//! interfaces, keeps state, and records what it was sent.

pub mod admin;
pub mod chukan;
pub mod clock;
pub mod http;
pub mod journal;
pub mod jpki;
pub mod jukinet;
pub mod nws;
pub mod pittari;
pub mod proxy;
pub mod stack;
pub mod store;
