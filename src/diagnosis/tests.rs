//! Unit tests of the diagnosis engine, one group per rule family.
