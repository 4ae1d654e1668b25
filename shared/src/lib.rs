//! The VIP operations domain: every business rule of the platform, as pure
//! functions over plain data. No I/O, no clock reads (time is always an
//! argument), no dependency on Spin, so it is unit-tested natively and fast.
#![forbid(unsafe_code)]
