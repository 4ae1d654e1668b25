//! Executing service moves (docs/domain.md §6; seed 001): the `vip_suspension`
//! orders a status move gives rise to (suspend, reconnect, uninstall or
//! reassign capacity), the stages an order passes (engineering for a
//! third-party service, then provisioning, then closed), the retry schedule
//! of outbound partner calls, and the retention windows of a disconnection
//! request or of equipment powered off, counted on a business calendar.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{is_calendar_id, Schedule};
use crate::customer::ServiceDelivery;
use crate::service::ServiceStatus;
use crate::validation::Errors;

/// What a `vip_suspension` order tells the partners to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderAction {
    Suspend,
    Reconnect,
    /// Direct service, not retained: our own equipment is uninstalled.
    Uninstall,
    /// Third-party service, not retained: the partner's capacity is reassigned.
    ReassignCapacity,
}

impl OrderAction {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderAction::Suspend => "suspend",
            OrderAction::Reconnect => "reconnect",
            OrderAction::Uninstall => "uninstall",
            OrderAction::ReassignCapacity => "reassign_capacity",
        }
    }
}

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStage {
    /// Assigned to engineering, who confirm the partner side (third party).
    Engineering,
    /// The provisioning system is called, and its confirmation awaited.
    Provisioning,
    Closed,
}

impl OrderStage {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStage::Engineering => "engineering",
            OrderStage::Provisioning => "provisioning",
            OrderStage::Closed => "closed",
        }
    }
}

/// A partner's confirmation of an order (an inbound webhook).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confirmation {
    /// Engineering confirm the partner-side change (third-party service).
    Engineering,
    /// The provisioning system confirms it did what it was told.
    Provisioning,
}

/// The order a customer's move to `to` gives rise to, if any: a suspension
/// suspends; a reconnection (to `active_temporary_payment`, `investigate` or
/// `payment_plan`) reconnects; pickup (seed 001: "recoger", day 6 of the next
/// month unpaid) and a disconnection uninstall our equipment or, for a
/// third-party service, reassign the partner's capacity.
pub fn ordered_by(to: ServiceStatus, delivery: ServiceDelivery) -> Option<OrderAction> {
    use ServiceStatus as S;
    match to {
        S::Suspended => Some(OrderAction::Suspend),
        S::ActiveTemporaryPayment | S::Investigate | S::PaymentPlan => Some(OrderAction::Reconnect),
        S::Pickup | S::Disconnected => Some(match delivery {
            ServiceDelivery::Direct => OrderAction::Uninstall,
            ServiceDelivery::ThirdParty => OrderAction::ReassignCapacity,
        }),
        S::Active | S::SuspensionNotice | S::RetentionSales | S::RetentionRecovery => None,
    }
}

/// The statuses whose moves give rise to an order, for the shell's scan.
pub const ORDERING_STATUSES: [ServiceStatus; 6] = [
    ServiceStatus::Suspended,
    ServiceStatus::Pickup,
    ServiceStatus::ActiveTemporaryPayment,
    ServiceStatus::Investigate,
    ServiceStatus::PaymentPlan,
    ServiceStatus::Disconnected,
];

/// Where a new order starts: with engineering for a third-party service
/// (the partner's side first), with provisioning for our own.
pub fn first_stage(delivery: ServiceDelivery) -> OrderStage {
    match delivery {
        ServiceDelivery::Direct => OrderStage::Provisioning,
        ServiceDelivery::ThirdParty => OrderStage::Engineering,
    }
}

/// Why a confirmation does not apply to an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmationRefused {
    pub stage: OrderStage,
    pub why: &'static str,
}

impl std::fmt::Display for ConfirmationRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the order is at stage {}: {}",
            self.stage.as_str(),
            self.why
        )
    }
}

/// The stage after a confirmation: engineering's moves the order on to
/// provisioning, provisioning's closes it.
pub fn confirm(stage: OrderStage, by: Confirmation) -> Result<OrderStage, ConfirmationRefused> {
    let refuse = |why| Err(ConfirmationRefused { stage, why });
    match (stage, by) {
        (OrderStage::Engineering, Confirmation::Engineering) => Ok(OrderStage::Provisioning),
        (OrderStage::Engineering, Confirmation::Provisioning) => {
            refuse("engineering have not confirmed the partner side yet")
        }
        (OrderStage::Provisioning, Confirmation::Provisioning) => Ok(OrderStage::Closed),
        (OrderStage::Provisioning, Confirmation::Engineering) => {
            refuse("it awaits the provisioning system, not engineering")
        }
        (OrderStage::Closed, _) => refuse("it is closed already"),
    }
}

/// How outbound partner calls are retried: the first retry after
/// `first_retry_seconds`, each next one `factor` times later, never more
/// than `max_delay_seconds` apart. Calls are retried until they succeed:
/// an order or a notice is never dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryPolicy {
    pub first_retry_seconds: u32,
    pub factor: u32,
    pub max_delay_seconds: u32,
}

impl RetryPolicy {
    /// When to call again after the `failures`-th failed call at `at`.
    pub fn next_attempt(&self, failures: u32, at: DateTime<Utc>) -> DateTime<Utc> {
        let exponent = failures.saturating_sub(1).min(30);
        let delay = u64::from(self.first_retry_seconds)
            .saturating_mul(u64::from(self.factor).saturating_pow(exponent))
            .min(u64::from(self.max_delay_seconds));
        at + Duration::seconds(i64::try_from(delay).unwrap_or(i64::MAX / 1000))
    }
}

/// How a balance handed to legal ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalOutcome {
    Recovered,
    Settled,
    WrittenOff,
    Withdrawn,
}

impl LegalOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            LegalOutcome::Recovered => "recovered",
            LegalOutcome::Settled => "settled",
            LegalOutcome::WrittenOff => "written_off",
            LegalOutcome::Withdrawn => "withdrawn",
        }
    }
}

/// Whether a move hands a balance to legal (seed 001): pickup always ("el saldo al abogado"), a
/// disconnection when money is owed.
pub fn hands_to_legal(to: ServiceStatus, owes: bool) -> bool {
    match to {
        ServiceStatus::Pickup => true,
        ServiceStatus::Disconnected => owes,
        _ => false,
    }
}

/// Why a customer is in retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetentionCause {
    /// The customer asked to leave.
    DisconnectionRequest,
    /// A suspended (third-party) customer powered the equipment off.
    PoweredOff,
}

impl RetentionCause {
    pub fn as_str(self) -> &'static str {
        match self {
            RetentionCause::DisconnectionRequest => "disconnection_request",
            RetentionCause::PoweredOff => "powered_off",
        }
    }
}

/// How a customer's formal request to disconnect arrived (seed 001, "SOLICITUD DE DX": "Vía correo
/// Electrónico o Carta en Físico").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormalVia {
    Email,
    Letter,
}

impl FormalVia {
    pub fn as_str(self) -> &'static str {
        match self {
            FormalVia::Email => "email",
            FormalVia::Letter => "letter",
        }
    }
}

/// The formal request to disconnect that staff record. Only it starts the retention windows
/// (sales' 3 business days count "from the date the notification was received"); a request filed
/// through the web form or a chat bot waits for it as a pending request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormalRequest {
    pub via: FormalVia,
    /// The email's or letter's reference (a message id, a registry number).
    pub reference: String,
}

impl FormalRequest {
    /// Checks what staff typed: both fields present, the reference 1 to 128 characters.
    pub fn parse(via: Option<FormalVia>, reference: Option<&str>) -> Result<Self, Errors> {
        let mut errors = Errors::new();
        if via.is_none() {
            errors.add(
                "via",
                "required: how the formal request arrived (email or letter); the retention windows \
                 start only at a formal request",
            );
        }
        let reference = reference.map(str::trim).unwrap_or_default();
        if reference.is_empty() || reference.chars().count() > 128 {
            errors.add(
                "reference",
                "required: the formal request's reference, 1 to 128 characters",
            );
        }
        errors.finish(())?;
        Ok(FormalRequest {
            via: via.unwrap_or(FormalVia::Email),
            reference: reference.to_string(),
        })
    }

    /// The words recorded on the retention case.
    pub fn describe(&self) -> String {
        format!(
            "formal request by {} (reference {})",
            self.via.as_str(),
            self.reference
        )
    }
}

/// Business days sales, then recovery, have to keep the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionWindows {
    pub sales_business_days: u32,
    pub recovery_business_days: u32,
}

/// The suspension programme: who is told when an order closes, how partner
/// calls are retried, and the retention windows on a business calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuspensionProgram {
    /// The business calendar (a stored calendar's id) the windows count on.
    pub calendar: String,
    /// Working hours that make one business day on that calendar.
    pub business_day_hours: u32,
    /// Told when an order closes (001).
    pub notice_list: Vec<String>,
    /// Told when a customer leaves with a balance (the legal handoff).
    pub legal: String,
    pub retry: RetryPolicy,
    /// A partner call taking longer than this (to connect, to answer, between
    /// bytes) fails and is retried. Defaulted for documents stored before it.
    #[serde(default = "default_call_timeout")]
    pub call_timeout_seconds: u32,
    pub disconnection_request: RetentionWindows,
    pub powered_off: RetentionWindows,
    /// How far back a retention may be dated. Defaulted for documents stored before it.
    #[serde(default)]
    pub backdating: Backdating,
}

fn default_call_timeout() -> u32 {
    10
}

/// How far in the past a retention case may start (`at`): its windows count
/// from then, so a date far back would skip sales' and recovery's days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backdating {
    /// Operators (staff, customer success) and partners' signed events may
    /// date a case up to this many days back: a request taken by phone on
    /// Friday and entered on Monday.
    pub max_days: u32,
    /// The member's own channels (web form, chat bot) report "now": their
    /// `at` may be at most this many minutes back (a form filled in slowly).
    pub member_channel_minutes: u32,
}

impl Default for Backdating {
    fn default() -> Self {
        Backdating {
            max_days: 30,
            member_channel_minutes: 15,
        }
    }
}

/// Who dates a retention case, for [`SuspensionProgram::check_start`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dater {
    /// Staff, customer success, or a partner's signed event.
    Operator,
    /// The member's web form or chat bot.
    MemberChannel,
}

/// Why a retention case cannot start at the time given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartRefusal {
    InFuture,
    TooFarBack {
        earliest: DateTime<Utc>,
        why: String,
    },
}

impl std::fmt::Display for StartRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartRefusal::InFuture => write!(f, "must not be in the future"),
            StartRefusal::TooFarBack { earliest, why } => write!(
                f,
                "must be no earlier than {} ({why})",
                earliest.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
        }
    }
}

pub fn default_suspension_program() -> SuspensionProgram {
    SuspensionProgram {
        calendar: "default".into(),
        business_day_hours: 9,
        notice_list: [
            "sales_manager",
            "engineering",
            "customer_service_head",
            "recovery",
            "collections",
            "projects_director",
        ]
        .map(String::from)
        .to_vec(),
        legal: "legal".into(),
        retry: RetryPolicy {
            first_retry_seconds: 60,
            factor: 2,
            max_delay_seconds: 3600,
        },
        call_timeout_seconds: default_call_timeout(),
        backdating: Backdating::default(),
        disconnection_request: RetentionWindows {
            sales_business_days: 3,
            recovery_business_days: 3,
        },
        powered_off: RetentionWindows {
            sales_business_days: 3,
            recovery_business_days: 5,
        },
    }
}

impl SuspensionProgram {
    pub fn validate(&self) -> Result<(), Errors> {
        let mut errors = Errors::new();
        if !is_calendar_id(&self.calendar) {
            errors.add(
                "calendar",
                "a calendar id: lowercase letters, digits, `-`, `_`",
            );
        }
        if !(1..=24).contains(&self.business_day_hours) {
            errors.add("business_day_hours", "from 1 to 24");
        }
        if self.notice_list.is_empty() || self.notice_list.iter().any(|r| r.trim().is_empty()) {
            errors.add("notice_list", "at least one recipient, none blank");
        }
        if self.legal.trim().is_empty() {
            errors.add("legal", "must not be blank");
        }
        if self.retry.first_retry_seconds == 0 || self.retry.factor == 0 {
            errors.add("retry", "first_retry_seconds and factor must be at least 1");
        }
        if !(1..=120).contains(&self.call_timeout_seconds) {
            errors.add("call_timeout_seconds", "from 1 to 120");
        }
        if self.retry.max_delay_seconds < self.retry.first_retry_seconds {
            errors.add("retry.max_delay_seconds", "at least first_retry_seconds");
        }
        for (name, w) in [
            ("disconnection_request", &self.disconnection_request),
            ("powered_off", &self.powered_off),
        ] {
            if !(1..=60).contains(&w.sales_business_days)
                || !(1..=60).contains(&w.recovery_business_days)
            {
                errors.add(name, "each window is from 1 to 60 business days");
            }
        }
        if !(0..=3660).contains(&self.backdating.max_days) {
            errors.add("backdating.max_days", "from 0 to 3660");
        }
        if !(0..=1440).contains(&self.backdating.member_channel_minutes) {
            errors.add("backdating.member_channel_minutes", "from 0 to 1440");
        }
        errors.finish(())
    }

    /// Whether a retention case may start at `at`, dated by `dater`, at `now`.
    pub fn check_start(
        &self,
        at: DateTime<Utc>,
        now: DateTime<Utc>,
        dater: Dater,
    ) -> Result<(), StartRefusal> {
        if at > now {
            return Err(StartRefusal::InFuture);
        }
        let (back, why) = match dater {
            Dater::Operator => (
                Duration::days(i64::from(self.backdating.max_days)),
                format!(
                    "a case may be dated at most {} days back",
                    self.backdating.max_days
                ),
            ),
            Dater::MemberChannel => (
                Duration::minutes(i64::from(self.backdating.member_channel_minutes)),
                format!(
                    "the member's channels date a request now, give or take {} minutes; \
                     an older request is entered by staff",
                    self.backdating.member_channel_minutes
                ),
            ),
        };
        let earliest = now - back;
        if at < earliest {
            return Err(StartRefusal::TooFarBack { earliest, why });
        }
        Ok(())
    }

    pub fn call_timeout(&self) -> Duration {
        Duration::seconds(i64::from(self.call_timeout_seconds))
    }

    pub fn windows(&self, cause: RetentionCause) -> &RetentionWindows {
        match cause {
            RetentionCause::DisconnectionRequest => &self.disconnection_request,
            RetentionCause::PoweredOff => &self.powered_off,
        }
    }

    /// `days` business days after `from` on `business`.
    fn after(&self, business: &Schedule, from: DateTime<Utc>, days: u32) -> Option<DateTime<Utc>> {
        let day = Duration::hours(i64::from(self.business_day_hours));
        business.add_business(from, day * i32::try_from(days).unwrap_or(i32::MAX))
    }

    /// When sales' window ends for a retention opened at `opened`, and
    /// recovery's after it.
    pub fn retention_deadlines(
        &self,
        cause: RetentionCause,
        business: &Schedule,
        opened: DateTime<Utc>,
    ) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let w = self.windows(cause);
        let sales = self.after(business, opened, w.sales_business_days)?;
        let recovery = self.after(business, sales, w.recovery_business_days)?;
        Some((sales, recovery))
    }
}

/// A retention window that has passed by `as_of`: the customer moves on
/// (`vip_domain::service::ServiceEvent::NotRetained`) with this reason.
pub fn window_passed(
    status: ServiceStatus,
    cause: RetentionCause,
    windows: &RetentionWindows,
    sales_due: DateTime<Utc>,
    recovery_due: DateTime<Utc>,
    as_of: DateTime<Utc>,
) -> Option<String> {
    let (who, days, due) = match status {
        ServiceStatus::RetentionSales => ("sales", windows.sales_business_days, sales_due),
        ServiceStatus::RetentionRecovery => {
            ("recovery", windows.recovery_business_days, recovery_due)
        }
        _ => return None,
    };
    (as_of >= due).then(|| {
        format!(
            "{who} did not retain the customer within {days} business days ({}), ended {}",
            cause.as_str().replace('_', " "),
            due.format("%Y-%m-%d %H:%M UTC")
        )
    })
}

#[cfg(test)]
mod tests {

    #[test]
    fn backdating_is_bounded_by_who_dates_the_case() {
        let p = default_suspension_program();
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-05T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let ago = |d: Duration| now - d;
        assert_eq!(p.check_start(now, now, Dater::MemberChannel), Ok(()));
        assert_eq!(
            p.check_start(ago(Duration::minutes(15)), now, Dater::MemberChannel),
            Ok(())
        );
        let refused = p
            .check_start(ago(Duration::minutes(16)), now, Dater::MemberChannel)
            .unwrap_err();
        assert!(matches!(refused, StartRefusal::TooFarBack { .. }));
        assert!(
            refused.to_string().contains("2026-11-05T09:45:00Z"),
            "{refused}"
        );
        assert_eq!(
            p.check_start(ago(Duration::days(30)), now, Dater::Operator),
            Ok(())
        );
        let year_2000 = chrono::DateTime::parse_from_rfc3339("2000-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert!(matches!(
            p.check_start(year_2000, now, Dater::Operator),
            Err(StartRefusal::TooFarBack { .. })
        ));
        assert_eq!(
            p.check_start(now + Duration::seconds(1), now, Dater::Operator),
            Err(StartRefusal::InFuture)
        );
    }
    use super::*;
    use crate::calendar::Calendar;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    #[test]
    fn moves_order_what_domain_md_says() {
        use ServiceDelivery::{Direct, ThirdParty};
        use ServiceStatus as S;
        assert_eq!(ordered_by(S::Suspended, Direct), Some(OrderAction::Suspend));
        for s in [S::ActiveTemporaryPayment, S::Investigate, S::PaymentPlan] {
            assert_eq!(ordered_by(s, ThirdParty), Some(OrderAction::Reconnect));
        }
        assert_eq!(
            ordered_by(S::Disconnected, Direct),
            Some(OrderAction::Uninstall)
        );
        assert_eq!(
            ordered_by(S::Disconnected, ThirdParty),
            Some(OrderAction::ReassignCapacity)
        );
        assert_eq!(ordered_by(S::Pickup, Direct), Some(OrderAction::Uninstall));
        assert_eq!(
            ordered_by(S::Pickup, ThirdParty),
            Some(OrderAction::ReassignCapacity)
        );
        for s in [S::Active, S::SuspensionNotice, S::RetentionSales] {
            assert_eq!(ordered_by(s, Direct), None);
        }
        for s in ORDERING_STATUSES {
            assert!(ordered_by(s, Direct).is_some());
        }
    }

    #[test]
    fn third_party_orders_wait_for_engineering_then_provisioning() {
        assert_eq!(
            first_stage(ServiceDelivery::ThirdParty),
            OrderStage::Engineering
        );
        assert_eq!(
            first_stage(ServiceDelivery::Direct),
            OrderStage::Provisioning
        );
        let e = confirm(OrderStage::Engineering, Confirmation::Provisioning).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the order is at stage engineering: engineering have not confirmed the partner side yet"
        );
        let s = confirm(OrderStage::Engineering, Confirmation::Engineering).unwrap();
        assert_eq!(s, OrderStage::Provisioning);
        assert_eq!(
            confirm(s, Confirmation::Provisioning),
            Ok(OrderStage::Closed)
        );
        assert!(confirm(OrderStage::Closed, Confirmation::Provisioning).is_err());
        assert!(confirm(OrderStage::Provisioning, Confirmation::Engineering).is_err());
    }

    #[test]
    fn retries_back_off_exponentially_up_to_the_cap() {
        let p = default_suspension_program().retry;
        let t = at(2026, 11, 2, 9);
        let delays: Vec<i64> = (1..=8)
            .map(|n| (p.next_attempt(n, t) - t).num_seconds())
            .collect();
        assert_eq!(delays, [60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!((p.next_attempt(u32::MAX, t) - t).num_seconds(), 3600);
    }

    #[test]
    fn retention_windows_count_business_days_on_the_calendar() {
        let program = default_suspension_program();
        let business = Calendar::default_business().compile();
        // Thursday 5 Nov 2026, 10:00 Madrid (09:00 UTC): sales until Tuesday
        // 10 Nov 10:00 (3 business days over the weekend), recovery until
        // Friday 13 Nov 10:00 for a request, Tuesday 17 Nov for powered-off.
        let opened = at(2026, 11, 5, 9);
        let (sales, recovery) = program
            .retention_deadlines(RetentionCause::DisconnectionRequest, &business, opened)
            .unwrap();
        assert_eq!(
            (sales, recovery),
            (at(2026, 11, 10, 9), at(2026, 11, 13, 9))
        );
        let (sales, recovery) = program
            .retention_deadlines(RetentionCause::PoweredOff, &business, opened)
            .unwrap();
        assert_eq!(
            (sales, recovery),
            (at(2026, 11, 10, 9), at(2026, 11, 17, 9))
        );

        let w = program.windows(RetentionCause::PoweredOff);
        let moved = |s, t| window_passed(s, RetentionCause::PoweredOff, w, sales, recovery, t);
        assert_eq!(
            moved(ServiceStatus::RetentionSales, at(2026, 11, 10, 8)),
            None
        );
        assert_eq!(
            moved(ServiceStatus::RetentionSales, at(2026, 11, 10, 9)).as_deref(),
            Some("sales did not retain the customer within 3 business days (powered off), ended 2026-11-10 09:00 UTC")
        );
        assert_eq!(
            moved(ServiceStatus::RetentionRecovery, at(2026, 11, 16, 9)),
            None
        );
        assert!(moved(ServiceStatus::RetentionRecovery, at(2026, 11, 17, 9)).is_some());
        assert_eq!(moved(ServiceStatus::Active, at(2027, 1, 1, 0)), None);
    }

    #[test]
    fn the_programme_is_validated() {
        assert!(default_suspension_program().validate().is_ok());
        let mut p = default_suspension_program();
        p.calendar = "Bad Id".into();
        p.business_day_hours = 0;
        p.notice_list.clear();
        p.retry.factor = 0;
        p.call_timeout_seconds = 0;
        p.powered_off.recovery_business_days = 0;
        let e = p.validate().unwrap_err();
        assert_eq!(
            e.fields(),
            [
                "calendar",
                "business_day_hours",
                "notice_list",
                "retry",
                "call_timeout_seconds",
                "powered_off"
            ]
        );
    }

    #[test]
    fn a_formal_request_needs_how_it_came_and_its_reference() {
        let e = FormalRequest::parse(None, Some("  ")).unwrap_err();
        assert_eq!(e.fields(), vec!["via", "reference"]);
        let long = "x".repeat(129);
        let e = FormalRequest::parse(Some(FormalVia::Letter), Some(&long)).unwrap_err();
        assert_eq!(e.fields(), vec!["reference"]);
        let r = FormalRequest::parse(Some(FormalVia::Letter), Some(" REG-2026/114 ")).unwrap();
        assert_eq!(
            r.describe(),
            "formal request by letter (reference REG-2026/114)"
        );
    }

    #[test]
    fn pickup_and_a_disconnection_owing_money_go_to_legal() {
        assert!(hands_to_legal(ServiceStatus::Pickup, false));
        assert!(hands_to_legal(ServiceStatus::Disconnected, true));
        assert!(!hands_to_legal(ServiceStatus::Disconnected, false));
        assert!(!hands_to_legal(ServiceStatus::Suspended, true));
    }
}
