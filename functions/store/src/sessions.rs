//! The member-session policy as a programme document (`sessions`): code
//! length and lifetime, token lifetime, and the limits on wrong codes, code
//! requests and applications (`vip_domain::sessions::SessionPolicy`).

use vip_domain::sessions::SessionPolicy;
use vip_kit::settings::Document;

pub const POLICY: Document<SessionPolicy> = Document {
    name: "sessions",
    key: "policy",
    default: SessionPolicy::default,
    validate: SessionPolicy::validate,
    in_use: None,
};
