//! The templates shipped with the programme: every member notice kind in Spanish, English and
//! Chinese (seeds 000 §6, §8, §10.2; 002 §18). Staff edit them as programme data
//! (`PUT /api/v1/program/notice-templates`); these are the first version.

use crate::notices::{Language, Template, Templates, KINDS};

/// One kind's texts: subject, body and SMS text (`None`: the body) per language, in
/// [`Language::ALL`] order.
type Texts = [(&'static str, &'static str, Option<&'static str>); 3];

/// The texts of `kind`, in es, en, zh.
fn texts(kind: &str) -> Texts {
    match kind {
        "onboarding.approved" => [
            ("Bienvenido al programa VIP", "Hola {{name}}: su solicitud {{case_id}} ha sido aprobada. Ya es miembro de nuestro programa VIP; su tarjeta está en camino.", None),
            ("Welcome to the VIP programme", "Hello {{name}}, your application {{case_id}} has been approved. You are now a member of our VIP programme; your card is on its way.", None),
            ("欢迎加入VIP会员计划", "{{name}}您好：您的申请 {{case_id}} 已获批准。您已成为我们的VIP会员，会员卡即将寄出。", None),
        ],
        "onboarding.rejected" => [
            ("Su solicitud VIP", "Hola {{name}}: no hemos podido aprobar su solicitud {{case_id}}. Motivo: {{reason}}.", None),
            ("Your VIP application", "Hello {{name}}, we could not approve your application {{case_id}}. Reason: {{reason}}.", None),
            ("您的VIP申请", "{{name}}您好：很抱歉，您的申请 {{case_id}} 未获批准。原因：{{reason}}。", None),
        ],
        "membership.tier_changed" => [
            ("Su nivel VIP ha cambiado", "Hola {{name}}: su nivel pasa de {{from}} a {{to}}. {{reason}}.", None),
            ("Your VIP tier has changed", "Hello {{name}}, your tier moves from {{from}} to {{to}}. {{reason}}.", None),
            ("您的VIP等级已变更", "{{name}}您好：您的会员等级由 {{from}} 变更为 {{to}}。{{reason}}。", None),
        ],
        "membership.suspended" => [
            ("Su membresía está suspendida", "Hola {{name}}: su membresía VIP queda suspendida. Motivo: {{reason}}. Mientras tanto no acumula ni canjea puntos.", None),
            ("Your membership is suspended", "Hello {{name}}, your VIP membership is suspended. Reason: {{reason}}. Meanwhile points are neither earned nor redeemed.", None),
            ("您的会员资格已暂停", "{{name}}您好：您的VIP会员资格已暂停。原因：{{reason}}。暂停期间不累积也不兑换积分。", None),
        ],
        "membership.active" => [
            ("Su membresía vuelve a estar activa", "Hola {{name}}: su membresía VIP vuelve a estar activa.", None),
            ("Your membership is active again", "Hello {{name}}, your VIP membership is active again.", None),
            ("您的会员资格已恢复", "{{name}}您好：您的VIP会员资格已恢复。", None),
        ],
        "membership.exited" => [
            ("Baja del programa VIP", "Hola {{name}}: hemos tramitado su baja del programa VIP. Gracias por haber sido miembro.", None),
            ("You have left the VIP programme", "Hello {{name}}, we have processed your request to leave the VIP programme. Thank you for having been a member.", None),
            ("您已退出VIP会员计划", "{{name}}您好：您的退出申请已办理。感谢您一直以来的支持。", None),
        ],
        "membership.revoked" => [
            ("Su membresía ha sido revocada", "Hola {{name}}: su membresía VIP ha sido revocada. Motivo: {{reason}}.", None),
            ("Your membership has been revoked", "Hello {{name}}, your VIP membership has been revoked. Reason: {{reason}}.", None),
            ("您的会员资格已被取消", "{{name}}您好：您的VIP会员资格已被取消。原因：{{reason}}。", None),
        ],
        "redemption.requested" => [
            ("Hemos recibido su canje", "Hola {{name}}: hemos recibido su solicitud de canje por {{points}} puntos.", None),
            ("We received your redemption", "Hello {{name}}, we received your request to redeem {{points}} points.", None),
            ("已收到您的兑换申请", "{{name}}您好：我们已收到您使用 {{points}} 积分的兑换申请。", None),
        ],
        "redemption.approved" => [
            ("Canje aprobado", "Hola {{name}}: su canje por {{points}} puntos ha sido aprobado.", None),
            ("Redemption approved", "Hello {{name}}, your redemption of {{points}} points has been approved.", None),
            ("兑换已批准", "{{name}}您好：您使用 {{points}} 积分的兑换已获批准。", None),
        ],
        "redemption.fulfilled" => [
            ("Su recompensa está entregada", "Hola {{name}}: su recompensa ({{points}} puntos) ha sido entregada. ¡Que la disfrute!", None),
            ("Your reward has been delivered", "Hello {{name}}, your reward ({{points}} points) has been delivered. Enjoy it!", None),
            ("您的奖励已发放", "{{name}}您好：您的奖励（{{points}} 积分）已发放，祝您使用愉快！", None),
        ],
        "redemption.rejected" => [
            ("Canje no aprobado", "Hola {{name}}: su canje por {{points}} puntos no ha sido aprobado; los puntos vuelven a su saldo.", None),
            ("Redemption not approved", "Hello {{name}}, your redemption of {{points}} points was not approved; the points are back in your balance.", None),
            ("兑换未获批准", "{{name}}您好：您使用 {{points}} 积分的兑换未获批准，积分已退回您的账户。", None),
        ],
        "redemption.cancelled" => [
            ("Canje cancelado", "Hola {{name}}: su canje por {{points}} puntos se ha cancelado; los puntos vuelven a su saldo.", None),
            ("Redemption cancelled", "Hello {{name}}, your redemption of {{points}} points was cancelled; the points are back in your balance.", None),
            ("兑换已取消", "{{name}}您好：您使用 {{points}} 积分的兑换已取消，积分已退回您的账户。", None),
        ],
        "dunning.remind" => [
            ("Recordatorio de pago", "Hola {{name}}: la factura {{invoice_id}} sigue pendiente ({{why}}). Si ya la ha pagado, ignore este mensaje.", Some("Factura {{invoice_id}} pendiente de pago. Si ya la pagó, ignore este mensaje.")),
            ("Payment reminder", "Hello {{name}}, invoice {{invoice_id}} is still unpaid ({{why}}). If you have already paid it, please ignore this message.", Some("Invoice {{invoice_id}} is unpaid. If you have paid it, please ignore this.")),
            ("付款提醒", "{{name}}您好：发票 {{invoice_id}} 尚未付款（{{why}}）。如已付款，请忽略此消息。", Some("发票 {{invoice_id}} 尚未付款。如已付款请忽略。")),
        ],
        "ticket.message" => [
            ("Re: {{subject}}", "Hola {{name}}:\n\n{{body}}\n\n(Incidencia {{ticket_id}})", None),
            ("Re: {{subject}}", "Hello {{name}},\n\n{{body}}\n\n(Ticket {{ticket_id}})", None),
            ("回复：{{subject}}", "{{name}}您好：\n\n{{body}}\n\n（工单 {{ticket_id}}）", None),
        ],
        "ticket.update" => [
            ("Novedades de su incidencia {{ticket_id}}", "Hola {{name}}: {{reason}}", None),
            ("News about your ticket {{ticket_id}}", "Hello {{name}}, {{reason}}", None),
            ("您的工单 {{ticket_id}} 有新进展", "{{name}}您好：{{reason}}", None),
        ],
        "member.login_code" => [
            ("Su código de acceso", "Su código de acceso es {{code}}. Caduca a las {{expires_at}}. No lo comparta con nadie.", Some("Su código de acceso: {{code}}. No lo comparta.")),
            ("Your sign-in code", "Your sign-in code is {{code}}. It expires at {{expires_at}}. Do not share it with anyone.", Some("Your sign-in code: {{code}}. Do not share it.")),
            ("您的登录验证码", "您的登录验证码为 {{code}}，有效期至 {{expires_at}}。请勿告知他人。", Some("您的登录验证码：{{code}}，请勿告知他人。")),
        ],
        "member.birthday" => [
            ("¡Feliz cumpleaños!", "Hola {{name}}: todo el equipo VIP le desea un feliz cumpleaños. Como miembro {{tier}}, le espera: {{benefit}}.", None),
            ("Happy birthday!", "Hello {{name}}, the whole VIP team wishes you a happy birthday. As a {{tier}} member, here is your gift: {{benefit}}.", None),
            ("生日快乐！", "{{name}}您好：VIP团队全体成员祝您生日快乐！作为{{tier}}会员，您将获得：{{benefit}}。", None),
        ],
        "change.estimate_ready" => [
            ("Presupuesto de su evolutivo {{ticket_id}}", "Hola {{name}}: el presupuesto (versión {{version}}) de su petición {{ticket_id}} está listo: {{total}} T-Points. Puede aceptarlo, rechazarlo o pedir cambios desde su portal o respondiendo al ticket.", None),
            ("Estimate for your change request {{ticket_id}}", "Hello {{name}}, the estimate (version {{version}}) for your request {{ticket_id}} is ready: {{total}} T-Points. You can accept it, reject it or ask for changes from your portal or by replying to the ticket.", None),
            ("您的变更请求 {{ticket_id}} 的报价", "{{name}}您好：您的请求 {{ticket_id}} 的报价（第 {{version}} 版）已完成：{{total}} T-Points。您可以在会员门户或回复工单来接受、拒绝或要求修改。", None),
        ],
        "change.paid_estimate" => [
            ("Sus próximos presupuestos tienen coste", "Hola {{name}}: como varios presupuestos anteriores no se ejecutaron sin motivo, el presupuesto de su petición {{ticket_id}} tendrá un coste de {{fee}} T-Points.", None),
            ("Your next estimates are charged", "Hello {{name}}, since several earlier estimates were turned down without a reason, the estimate for your request {{ticket_id}} costs {{fee}} T-Points.", None),
            ("您的后续报价将收费", "{{name}}您好：由于之前多次无理由拒绝报价，您的请求 {{ticket_id}} 的报价将收取 {{fee}} T-Points。", None),
        ],
        "change.progress" => [
            ("Seguimiento de su evolutivo {{ticket_id}}", "Hola {{name}}: el desarrollo de su petición {{ticket_id}} avanza según lo previsto. La fecha de entrega estimada se mantiene: {{deliver_on}}.", None),
            ("Progress on your change request {{ticket_id}}", "Hello {{name}}, the development of your request {{ticket_id}} is on track. The estimated delivery date holds: {{deliver_on}}.", None),
            ("您的变更请求 {{ticket_id}} 进展", "{{name}}您好：您的请求 {{ticket_id}} 的开发按计划进行，预计交付日期不变：{{deliver_on}}。", None),
        ],
        "change.date_moved" => [
            ("Cambio de fechas de su evolutivo {{ticket_id}}", "Hola {{name}}: las fechas de su petición {{ticket_id}} han cambiado. Inicio: {{start_on}} (antes {{was_start_on}}); entrega: {{deliver_on}} (antes {{was_deliver_on}}). Motivo: {{reason}}.", None),
            ("New dates for your change request {{ticket_id}}", "Hello {{name}}, the dates of your request {{ticket_id}} have changed. Start: {{start_on}} (was {{was_start_on}}); delivery: {{deliver_on}} (was {{was_deliver_on}}). Reason: {{reason}}.", None),
            ("您的变更请求 {{ticket_id}} 日期变更", "{{name}}您好：您的请求 {{ticket_id}} 的日期已变更。开始：{{start_on}}（原 {{was_start_on}}）；交付：{{deliver_on}}（原 {{was_deliver_on}}）。原因：{{reason}}。", None),
        ],
        "application.already_on_file" => [
            ("Ya tenemos sus datos", "Hola {{name}}: alguien ha solicitado el programa VIP con sus datos de contacto ({{applied_at}}). Ya es cliente; si no fue usted, ignore este mensaje.", None),
            ("We already have your details", "Hello {{name}}, someone applied to the VIP programme with your contact details ({{applied_at}}). You are already a customer; if it was not you, please ignore this message.", None),
            ("我们已有您的资料", "{{name}}您好：有人使用您的联系方式申请了VIP会员计划（{{applied_at}}）。您已是我们的客户；如非本人操作，请忽略此消息。", None),
        ],
        _ => [("", "", None); 3],
    }
}

/// The shipped templates: Spanish by default (the seeds' main language).
pub fn default_templates() -> Templates {
    Templates {
        default_language: Language::Es,
        templates: KINDS
            .iter()
            .flat_map(|spec| {
                Language::ALL.into_iter().zip(texts(spec.kind)).map(
                    |(language, (subject, body, sms))| Template {
                        kind: spec.kind.to_string(),
                        language,
                        subject: subject.to_string(),
                        body: body.to_string(),
                        sms: sms.map(str::to_string),
                    },
                )
            })
            .collect(),
    }
}
