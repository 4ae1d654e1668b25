//! The one-step schema set-up for real Spin (`scripts/spin-up.sh`: every
//! migration as `--sqlite @file`, re-run on each start) works, and works again
//! on a second start over the same state.

use std::process::Command;

use e2e::{call, customer, json, post_check, variables, Host, NO_PARTNERS};
use serde_json::json;

#[test]
fn spin_up_script_sets_up_the_schema_and_tolerates_reruns() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let state = tempfile::tempdir().unwrap();
    let no_tracked_migrations = tempfile::tempdir().unwrap();
    for (round, expected) in [(1, 201), (2, 200)] {
        let mut cmd = Command::new(root.join("scripts/spin-up.sh"));
        cmd.env("SPIN_BIN", spin_local_harness::default_binary())
            .envs(variables(NO_PARTNERS))
            .arg("--state-dir")
            .arg(state.path())
            .args(["--listen", "127.0.0.1:0", "--migrations"])
            .arg(no_tracked_migrations.path());
        let host = Host::start(cmd).unwrap_or_else(|e| panic!("round {round}: {e}"));
        let r = call(
            &host,
            Some("staff"),
            "PUT",
            "/api/v1/customers/K1",
            Some(&customer(json!({"segment": "isp"}))),
        );
        assert_eq!(r.status, expected, "round {round}: {}", r.body);
        let d = post_check(&host, "staff", &json!({"customer_id": "K1"}), None);
        assert_eq!(json(&d)["vip"], true, "round {round}");
        assert!(
            !host.output().contains("applied migration"),
            "tracked migrations were not used"
        );
        assert_eq!(host.stop().code(), Some(0));
    }
}
