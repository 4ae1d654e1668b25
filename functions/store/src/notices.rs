//! The notice outbox: notices every feature's triggers write (declared in
//! their modules' `EFFECTS`), and their delivery attempts.
