//! The email gateway end to end through the real binary: mail is delivered to `hdnd serve`'s
//! SMTP listener over a socket, and what hdnd sends comes out at the SMTP sink of `smtp.rs`.
//! A citizen's mail becomes a case and its acknowledgement arrives with the code, the private
//! link and the signed Reply-To; a reply to it asking TRẠNG THÁI gets the status; the answer to
//! the council's question resumes the case; a bounce marks the address unreachable; an
//! auto-reply gets no answer; a denunciation's sender is sealed and its payload purged; a
//! broken mail fails with its reason while the next one goes through. Both databases.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hdnd_hub::delivery::notify::Notifier;
use hdnd_hub::delivery::outbox::OutboxStatus;
use hdnd_hub::delivery::render::Renderer;
use hdnd_hub::domain::{
    Actor, Addressee, AuditNote, Case, CaseKind, ContactKey, ContactKind, ContactState,
    CouncilProfile, InboundSource, InboundStatus, NormalisedContact, Role, SourceChannel, Status,
    TransitionRequest,
};
use hdnd_hub::storage::{CaseFilter, Store};
use hdnd_hub::{Hub, SystemClock};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::helpers::{TestDb, contract_tests, staff};
use crate::mail_process::{MAILBOX, MailProcess, WAIT};
use crate::smtp::{ReceivedMail, SmtpSink};

contract_tests!(
    a_citizens_mail_becomes_a_case_and_their_replies_thread_into_it,
    bounces_auto_replies_denunciations_and_broken_mail_each_get_their_due,
    a_withdrawal_asked_by_mail_happens_only_from_the_links_button,
    an_officer_asks_the_citizen_by_replying_to_the_notification_once_confirmed,
    an_internal_message_answered_by_mail_is_a_reply_in_its_thread,
);

const CONTACT_KEY: &str = "test-contact-key-of-the-mail-gateway-0123456789abcdef";
const CITIZEN: &str = "hoa.pham@example.org";
const TEXT: &str =
    "Đèn chiếu sáng ngõ 12 phố Hoàng Văn Thụ hỏng đã hai tuần, tối đi lại rất nguy hiểm.";

/// `hdnd serve` with the gateway on: mail in by SMTP, out to `sink`.
struct Gateway(MailProcess);

impl Gateway {
    fn start(database_url: &str, sink: &SmtpSink) -> Gateway {
        let inbound =
            "[email.inbound]\nsmtp_listen = \"127.0.0.1:0\"\nacknowledgements_per_hour = 2";
        Gateway(MailProcess::start(database_url, CONTACT_KEY, sink, inbound))
    }

    fn log(&self) -> String {
        self.0.log()
    }

    /// The listener's address, once the log names it.
    async fn smtp(&mut self) -> std::net::SocketAddr {
        let rest = self.0.until_logged("taking mail by SMTP on ").await;
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        rest[..end].parse().unwrap()
    }

    /// The portal's `http://host:port`, once the log names it.
    async fn portal(&mut self) -> String {
        let rest = self.0.until_logged("portal at http://").await;
        format!("http://{}", &rest[..rest.find('/').unwrap()])
    }

    /// Nothing the citizen wrote, nor their address, is in the log.
    fn assert_log_is_clean(&self) {
        self.0.assert_log_hides(&[CITIZEN, TEXT]);
    }
}

/// Delivers `raw` to the listener at `addr` in one SMTP session, as a mail server would.
async fn deliver(addr: std::net::SocketAddr, from: &str, to: &str, raw: &str) {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let answer = async |read: &mut BufReader<_>| -> String {
        loop {
            let mut line = String::new();
            read.read_line(&mut line).await.unwrap();
            if line.as_bytes().get(3) != Some(&b'-') {
                return line;
            }
        }
    };
    assert!(answer(&mut read).await.starts_with("220"));
    let data: String = raw
        .replace("\r\n", "\n")
        .split('\n')
        .map(|line| match line.starts_with('.') {
            true => format!(".{line}\r\n"),
            false => format!("{line}\r\n"),
        })
        .collect();
    for (step, want) in [
        ("EHLO mx.example.org\r\n".to_owned(), "250"),
        (format!("MAIL FROM:<{from}>\r\n"), "250"),
        (format!("RCPT TO:<{to}>\r\n"), "250"),
        ("DATA\r\n".to_owned(), "354"),
        (format!("{data}.\r\n"), "250"),
        ("QUIT\r\n".to_owned(), "221"),
    ] {
        write.write_all(step.as_bytes()).await.unwrap();
        let got = answer(&mut read).await;
        assert!(got.starts_with(want), "{step:?} got {got:?}");
    }
}

/// A citizen's mail, as Gmail would send it.
fn mail(message_id: &str, to: &str, subject: &str, headers: &str, body: &str) -> String {
    format!(
        "From: Phạm Thị Hoa <{CITIZEN}>\r\nTo: {to}\r\nSubject: {subject}\r\n\
         Message-ID: <{message_id}>\r\nDate: Thu, 26 Nov 2026 09:30:00 +0700\r\n{headers}\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
    )
}

/// A hub of the test's own on the gateway's database, with the same keys and notifier, for
/// what staff do in between.
fn staff_hub(store: Arc<dyn Store>) -> Hub {
    let hub = Hub::new(store, Arc::new(CouncilProfile::demo()))
        .with_contact_key(ContactKey::new(CONTACT_KEY).unwrap());
    let notifier = Notifier::new(
        Arc::new(Renderer::builtin()),
        hub.profile().clone(),
        "hongbang.example",
    )
    .with_reply_addresses(hub.mail_key(), MAILBOX);
    hub.with_notifier(Arc::new(notifier))
}

/// Waits until `done` holds, showing the gateway's log if it never does.
async fn until<T>(gateway: &Gateway, what: &str, mut done: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(value) = done().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "never {what}:\n{}",
            gateway.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn cases(store: &Arc<dyn Store>) -> Vec<Case> {
    store.list_cases(&CaseFilter::default()).await.unwrap()
}

/// The inbound rows of mail, oldest first, as `(status, error, payload kept)`.
async fn mail_rows(store: &Arc<dyn Store>, n: i64) -> Vec<(InboundStatus, Option<String>, bool)> {
    let mut rows = Vec::new();
    for id in 1..=n {
        if let Ok(row) = store.get_inbound(id).await
            && row.source == InboundSource::Email
        {
            rows.push((row.status, row.last_error, row.payload.is_some()));
        }
    }
    rows
}

fn text_of(mail: &ReceivedMail) -> String {
    let parsed = hdnd_mail::parse(mail.raw.as_bytes()).unwrap();
    parsed.text
}

async fn a_citizens_mail_becomes_a_case_and_their_replies_thread_into_it(db: TestDb) {
    // Arrange
    let sink = SmtpSink::start().await;
    let mut gateway = Gateway::start(&db.url, &sink);
    let smtp = gateway.smtp().await;
    let store = db.open(Arc::new(SystemClock)).await;
    let hub = staff_hub(store.clone());

    // Act 1: the citizen writes in, with a signature.
    let first = mail(
        "m1@example.org",
        MAILBOX,
        "=?UTF-8?Q?Ki=E1=BA=BFn_ngh=E1=BB=8B_s=E1=BB=ADa_=C4=91=C3=A8n?=",
        "",
        &format!("{TEXT}\n\n-- \nPhạm Thị Hoa\n0900 000 000"),
    );
    deliver(smtp, CITIZEN, MAILBOX, &first).await;

    // Assert: one case, a petition by email with the sender as its contact; the receipt to
    // them with the code, the private link and the case's signed Reply-To.
    let ack = sink.wait_for(1, WAIT).await.remove(0);
    let case = cases(&store).await.remove(0);
    assert_eq!(case.kind, CaseKind::KienNghi);
    assert_eq!(case.channel, SourceChannel::Email);
    assert_eq!(case.title, "Kiến nghị sửa đèn");
    // The whole text is the case: the signature's phone number may be how staff call back.
    assert!(case.content.starts_with(TEXT), "{}", case.content);
    assert_eq!(case.contacts[0].kind, ContactKind::Email);
    assert_eq!(case.contacts[0].address, CITIZEN);
    assert_eq!(ack.rcpt_to, [CITIZEN]);
    let subject = hdnd_mail::parse(ack.raw.as_bytes()).unwrap().subject;
    assert!(subject.contains(case.code.as_str()), "{subject}");
    let reply_to = ack.header("Reply-To").expect("a Reply-To");
    let signed = hub.mail_key().reply_address(MAILBOX, &case.code).unwrap();
    assert_eq!(reply_to, signed);
    assert!(text_of(&ack).contains("https://hdnd.hongbang.example/ho-so-rieng/"));
    assert!(
        ack.mail_from.starts_with("hdnd-bounce+"),
        "{}",
        ack.mail_from
    );

    // Act 2: they reply to it asking for the status, the quote of the receipt below.
    let ack_id = ack.message_id().unwrap();
    let asking = mail(
        "m2@example.org",
        &signed,
        &format!("Re: {subject}"),
        &format!("In-Reply-To: {ack_id}\r\nReferences: {ack_id}\r\n"),
        "Trang thai\n\nVào Th 5, 26 thg 11, 2026 lúc 09:31 HĐND <hdnd@hongbang.example> đã viết:\n> Kính gửi ông/bà,",
    );
    deliver(smtp, CITIZEN, &signed, &asking).await;

    // Assert: the status, threaded under their mail, changing nothing.
    let status = sink.wait_for(2, WAIT).await.remove(1);
    assert_eq!(status.rcpt_to, [CITIZEN]);
    assert_eq!(
        status.header("In-Reply-To").as_deref(),
        Some("<m2@example.org>")
    );
    assert_eq!(status.header("Reply-To").as_deref(), Some(signed.as_str()));
    let said = text_of(&status);
    assert!(said.contains("Tình trạng: Đã tiếp nhận"), "{said}");
    assert_eq!(cases(&store).await[0].version, case.version);

    // Act 3: an officer asks a question; the citizen answers by replying to that mail.
    let clerk = store
        .add_staff(staff("lan.tk", &[Role::Intake]), &AuditNote::operator())
        .await
        .unwrap();
    let ask = TransitionRequest::to(Status::NeedsInfo, Actor::Staff(clerk.id))
        .with_text("Xin cho biết số nhà gần cột đèn hỏng.");
    hub.transition(case.id, ask).await.unwrap();
    let question = sink.wait_for(3, WAIT).await.remove(2);
    assert!(text_of(&question).contains("Xin cho biết số nhà"));
    let question_id = question.message_id().unwrap();
    let answer = mail(
        "m3@example.org",
        &signed,
        "Re: câu hỏi",
        &format!("In-Reply-To: {question_id}\r\nReferences: {ack_id} {question_id}\r\n"),
        "Cột đèn ở trước nhà số 15.\n\nOn Thu, Nov 26, 2026 at 10:00 AM HĐND wrote:\n> Xin cho biết số nhà",
    );
    deliver(smtp, CITIZEN, &signed, &answer).await;

    // Assert: the case is back where it was asked from, with the answer (not the quote) on
    // its timeline, and the citizen is told it was received.
    let resumed = until(&gateway, "resumed", async || {
        let case = cases(&store).await.remove(0);
        (case.progress.status == Status::Received).then_some(case)
    })
    .await;
    let timeline = store.get_timeline(resumed.id).await.unwrap();
    let said = timeline.last().unwrap().note.clone().unwrap_or_default();
    assert_eq!(said, "Cột đèn ở trước nhà số 15.");
    // The reply, and the status change the hub tells of as of any other: in either order.
    let both = sink.wait_for(5, WAIT).await.split_off(3);
    assert!(
        both.iter()
            .any(|m| text_of(m).contains("đã nhận thông tin ông/bà trả lời")),
        "{both:?}"
    );

    // Act 3b: their replies to the signed address verified their address, so a new mail
    // from it naming the case in its subject adds to that case.
    let tagged = mail(
        "m3b@example.org",
        MAILBOX,
        &format!("[{}] Bổ sung", case.code),
        "",
        "Đèn ở cột thứ ba tính từ đầu ngõ.",
    );
    deliver(smtp, CITIZEN, MAILBOX, &tagged).await;
    let added = until(&gateway, "information added", async || {
        let timeline = store.get_timeline(case.id).await.unwrap();
        let last = timeline.last()?.note.clone()?;
        (last == "Đèn ở cột thứ ba tính từ đầu ngõ.").then_some(timeline)
    })
    .await;
    assert_eq!(cases(&store).await.len(), 1, "no new case");
    let timeline = added;

    // Act 4: a mail naming the case in its subject from another address is a new case: a
    // tag is trusted only from the case's verified sender.
    let stranger = mail(
        "m4@example.org",
        MAILBOX,
        &format!("[{}] Phản ánh rác", case.code),
        "",
        "Rác để ở đầu ngõ 7 nhiều ngày chưa thu gom.",
    )
    .replace(&format!("<{CITIZEN}>"), "<khach.la@example.net>");
    deliver(smtp, "khach.la@example.net", MAILBOX, &stranger).await;
    let other = until(&gateway, "a second case", async || {
        let all = cases(&store).await;
        (all.len() == 2).then(|| all.into_iter().find(|c| c.id != case.id).unwrap())
    })
    .await;
    assert_eq!(other.kind, CaseKind::PhanAnh);
    assert_eq!(
        store.get_timeline(case.id).await.unwrap().len(),
        timeline.len()
    );

    gateway.assert_log_is_clean();
}

async fn bounces_auto_replies_denunciations_and_broken_mail_each_get_their_due(db: TestDb) {
    // Arrange
    let sink = SmtpSink::start().await;
    let mut gateway = Gateway::start(&db.url, &sink);
    let smtp = gateway.smtp().await;
    let store = db.open(Arc::new(SystemClock)).await;

    // Act 1: a mail, then the report that its receipt bounced for good.
    let first = mail("b1@example.org", MAILBOX, "Góp ý", "", TEXT);
    deliver(smtp, CITIZEN, MAILBOX, &first).await;
    let ack = sink.wait_for(1, WAIT).await.remove(0);
    let bounce_address = ack.mail_from.clone();
    let report = format!(
        "Return-Path: <>\r\nFrom: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\n\
         To: {bounce_address}\r\nSubject: Undelivered Mail Returned to Sender\r\n\
         Message-ID: <dsn.1@mx.example.org>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n\
         --r\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n\
         --r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\n\
         Final-Recipient: rfc822; {CITIZEN}\r\nAction: failed\r\nStatus: 5.1.1\r\n\
         Diagnostic-Code: smtp; 550 5.1.1 <{CITIZEN}>: Recipient address rejected\r\n--r--\r\n"
    );
    deliver(smtp, "", &bounce_address, &report).await;

    // Assert: the receipt's row failed and the address is unreachable; nobody is answered.
    let contact = NormalisedContact::parse(ContactKind::Email, CITIZEN).unwrap();
    until(&gateway, "unreachable", async || {
        let found = store.find_citizen_contact(&contact).await.unwrap()?;
        matches!(found.state, ContactState::Unreachable { .. }).then_some(())
    })
    .await;
    let rows = store.list_outbox(None, 10).await.unwrap();
    let receipt = rows.iter().find(|r| r.address == CITIZEN).unwrap();
    let sent_before = sink.messages().len();
    assert_eq!(receipt.status, OutboxStatus::Failed);
    assert!(
        receipt
            .last_error
            .as_deref()
            .unwrap()
            .starts_with("bounced: 5.1.1"),
        "{:?}",
        receipt.last_error
    );

    // Act 2: the citizen's out-of-office answer to the receipt's Reply-To.
    let signed = ack.header("Reply-To").unwrap();
    let away_here = mail(
        "b0@example.org",
        &signed,
        "Tự động trả lời: Xác nhận",
        "Auto-Submitted: auto-replied\r\n",
        "Tôi đang nghỉ phép đến 30/11, sẽ trả lời sau.",
    );
    deliver(smtp, CITIZEN, &signed, &away_here).await;

    // Assert: a note on the case, and nothing more.
    let case = cases(&store).await.remove(0);
    let note = until(&gateway, "the note", async || {
        let timeline = store.get_timeline(case.id).await.unwrap();
        timeline
            .last()
            .and_then(|e| e.note.clone())
            .filter(|n| n.contains("nghỉ phép"))
    })
    .await;
    assert!(note.starts_with("Thư trả lời tự động"), "{note}");
    assert_eq!(
        store.get_inbound(3).await.unwrap().payload,
        None,
        "its payload went"
    );

    // Act 3: an out-of-office answer to the mailbox, a denunciation, a broken mail, and a
    // mail after them all.
    let away = mail(
        "b2@example.org",
        MAILBOX,
        "Tự động trả lời: Xác nhận",
        "Auto-Submitted: auto-replied\r\n",
        "Tôi đang nghỉ phép đến 30/11.",
    )
    .replace(CITIZEN, "vang.mat@example.net");
    deliver(smtp, "vang.mat@example.net", MAILBOX, &away).await;
    let denunciation = mail(
        "b3@example.org",
        MAILBOX,
        "Đơn tố cáo",
        "",
        "Tôi tố cáo cán bộ địa chính thu tiền trái quy định khi cấp sổ đỏ.",
    )
    .replace(CITIZEN, "an.danh@example.net");
    deliver(smtp, "an.danh@example.net", MAILBOX, &denunciation).await;
    deliver(smtp, CITIZEN, MAILBOX, "\r\n\r\n\u{1}\u{2}").await;
    let last = mail(
        "b5@example.org",
        MAILBOX,
        "Ý kiến",
        "",
        "Đề nghị lắp thêm ghế đá ở công viên.",
    )
    .replace(CITIZEN, "ghe.da@example.net");
    deliver(smtp, "ghe.da@example.net", MAILBOX, &last).await;

    // Assert: every mail is processed or failed with its reason, none left behind.
    let rows = until(&gateway, "all mail handled", async || {
        let rows = mail_rows(&store, 7).await;
        let settled = rows.len() == 7
            && rows
                .iter()
                .all(|(s, _, _)| matches!(s, InboundStatus::Done | InboundStatus::Failed));
        settled.then_some(rows)
    })
    .await;
    let broken = &rows[5];
    assert_eq!(broken.0, InboundStatus::Failed, "{rows:?}");
    assert!(
        broken
            .1
            .as_deref()
            .unwrap()
            .contains("not a readable mail message")
    );
    // The denunciation's payload, which names its sender, is gone once processed.
    assert_eq!(rows[4].0, InboundStatus::Done);
    assert!(!rows[4].2, "the denunciation's payload is purged");
    let all = cases(&store).await;
    assert_eq!(all.len(), 3, "the first, the denunciation and the last");
    let sealed = all.iter().find(|c| c.kind == CaseKind::ToCao).unwrap();
    assert!(sealed.contacts.is_empty());
    assert_eq!(sealed.citizen_name, None);
    // Receipts go to the denouncer and the last sender; the out-of-office one is answered
    // by nothing.
    let sent = sink.wait_for(3, WAIT).await;
    assert_eq!(sent_before, 1, "the bounce and the note answered nobody");
    let to: Vec<_> = sent.iter().map(|m| m.rcpt_to[0].clone()).collect();
    assert!(to.contains(&"an.danh@example.net".to_owned()), "{to:?}");
    assert!(to.contains(&"ghe.da@example.net".to_owned()), "{to:?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        sink.messages().len(),
        3,
        "nothing to the out-of-office sender"
    );
    let rows = store.list_outbox(None, 20).await.unwrap();
    assert!(
        rows.iter().all(|r| r.address != "an.danh@example.net"),
        "sealed"
    );

    gateway.assert_log_is_clean();
    assert!(!gateway.log().contains("an.danh@example.net"));
}

async fn a_withdrawal_asked_by_mail_happens_only_from_the_links_button(db: TestDb) {
    // Arrange: a case by mail, and its receipt.
    let sink = SmtpSink::start().await;
    let mut gateway = Gateway::start(&db.url, &sink);
    let smtp = gateway.smtp().await;
    let store = db.open(Arc::new(SystemClock)).await;
    deliver(
        smtp,
        CITIZEN,
        MAILBOX,
        &mail("w1@example.org", MAILBOX, "Phản ánh", "", TEXT),
    )
    .await;
    let ack = sink.wait_for(1, WAIT).await.remove(0);
    let signed = ack.header("Reply-To").unwrap();

    // Act 1: the citizen replies RÚT ĐƠN, without diacritics.
    let asking = mail("w2@example.org", &signed, "Re: Phản ánh", "", "RUT DON");
    deliver(smtp, CITIZEN, &signed, &asking).await;

    // Assert: a mail with the link; the case is untouched.
    let offer = sink.wait_for(2, WAIT).await.remove(1);
    let text = text_of(&offer);
    let at = text
        .find("https://hdnd.hongbang.example/rut-ho-so/")
        .expect(&text);
    let path = text[at + "https://hdnd.hongbang.example".len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(cases(&store).await[0].progress.status, Status::Received);

    // Act 2: the link is opened (as a preview would), then its button pressed, twice.
    let http = reqwest::Client::new();
    let portal = gateway.portal().await;
    let page = http.get(format!("{portal}{path}")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(
        page.headers()["cache-control"].to_str().unwrap(),
        "no-store",
        "the link's page is not kept"
    );
    let page = page.text().await.unwrap();
    assert!(page.contains("Xác nhận rút hồ sơ"), "{page}");
    assert_eq!(
        cases(&store).await[0].progress.status,
        Status::Received,
        "a GET changes nothing"
    );
    let done = http.post(format!("{portal}{path}")).send().await.unwrap();
    assert_eq!(done.status(), 200);
    assert!(done.text().await.unwrap().contains("Đã rút hồ sơ"));
    let again = http.post(format!("{portal}{path}")).send().await.unwrap();
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("không còn ở giai đoạn có thể rút")
    );

    // Assert: withdrawn, once; a token changed by one letter opens nothing.
    let case = cases(&store).await.remove(0);
    assert_eq!(case.progress.status, Status::Withdrawn);
    let withdrawn = store
        .get_timeline(case.id)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.to == Some(Status::Withdrawn))
        .count();
    assert_eq!(withdrawn, 1);
    let flipped = if path.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{flipped}", &path[..path.len() - 1]);
    let forged = http.get(format!("{portal}{forged}")).send().await.unwrap();
    assert_eq!(forged.status(), 404);
    gateway.assert_log_is_clean();
    assert!(!gateway.log().contains(&path), "the token is not logged");
}

/// The first mail at the sink to `address` whose text holds `phrase`.
async fn mail_to(sink: &SmtpSink, gateway: &Gateway, address: &str, phrase: &str) -> ReceivedMail {
    until(
        gateway,
        &format!("a mail to {address} saying {phrase:?}"),
        async || {
            sink.messages()
                .into_iter()
                .find(|m| m.rcpt_to.iter().any(|r| r == address) && text_of(m).contains(phrase))
        },
    )
    .await
}

async fn an_officer_asks_the_citizen_by_replying_to_the_notification_once_confirmed(db: TestDb) {
    // Arrange: an intake officer with an email address; a citizen's case, whose notice the
    // officer gets.
    let sink = SmtpSink::start().await;
    let store = db.open(Arc::new(SystemClock)).await;
    store
        .add_staff(staff("lan.tk", &[Role::Intake]), &AuditNote::operator())
        .await
        .unwrap();
    let officer = "lan.tk@council.example";
    let mut gateway = Gateway::start(&db.url, &sink);
    let smtp = gateway.smtp().await;
    deliver(
        smtp,
        CITIZEN,
        MAILBOX,
        &mail("s1@example.org", MAILBOX, "Kiến nghị", "", TEXT),
    )
    .await;
    let notice = mail_to(&sink, &gateway, officer, "TRẢ LỜI").await;
    let signed = notice.header("Reply-To").unwrap();
    let case = cases(&store).await.remove(0);

    // Act 1: the officer replies to the notice with a question.
    let question = "Xin cho biết số nhà gần cột đèn hỏng.";
    let asks = format!(
        "From: Cán bộ lan.tk <{officer}>\r\nTo: {signed}\r\nSubject: Re: hồ sơ\r\n\
         Message-ID: <o1@council.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=UTF-8; format=flowed\r\n\r\n\
         HỎI:\r\n{question}\r\n\r\nOn 26/11/2026 09:31, HĐND wrote:\r\n> Đồng chí Lan\r\n"
    );
    deliver(smtp, officer, &signed, &asks).await;

    // Assert: nothing changes yet; the officer is asked to confirm, at their own address.
    let confirm = mail_to(&sink, &gateway, officer, "XÁC NHẬN").await;
    assert!(text_of(&confirm).contains(question));
    assert_eq!(cases(&store).await[0].progress.status, Status::Received);
    let confirm_at = confirm.header("Reply-To").unwrap();
    assert!(confirm_at.starts_with("hdnd+x"), "{confirm_at}");

    // Act 2: they confirm; then the same confirmation comes again.
    let yes = |id: &str| {
        format!(
            "From: {officer}\r\nTo: {confirm_at}\r\nSubject: Re: xác nhận\r\n\
             Message-ID: <{id}@council.example>\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n\
             Xác nhận\r\n"
        )
    };
    deliver(smtp, officer, &confirm_at, &yes("o2")).await;

    // Assert: the question is on the case, the citizen hears it, the officer is told.
    let asked = until(&gateway, "needs info", async || {
        let case = cases(&store).await.remove(0);
        (case.progress.status == Status::NeedsInfo).then_some(case)
    })
    .await;
    assert_eq!(asked.id, case.id);
    mail_to(&sink, &gateway, CITIZEN, question).await;
    mail_to(&sink, &gateway, officer, "Đã ghi câu hỏi cho công dân").await;
    deliver(smtp, officer, &confirm_at, &yes("o3")).await;
    mail_to(&sink, &gateway, officer, "Không thực hiện được").await;
    let asked_times = store
        .get_timeline(case.id)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.to == Some(Status::NeedsInfo))
        .count();
    assert_eq!(asked_times, 1, "a confirmation read twice asks once");

    // Act 3: someone else sends "Xác nhận" to the same address, claiming to be nobody.
    let stranger = yes("o4").replace(&format!("From: {officer}"), "From: ke.gia@example.net");
    deliver(smtp, "ke.gia@example.net", &confirm_at, &stranger).await;
    until(&gateway, "the stranger's mail handled", async || {
        let row = store.get_inbound(5).await.ok()?;
        matches!(row.status, InboundStatus::Done | InboundStatus::Failed).then_some(())
    })
    .await;
    // Their mail is anyone's: a new case for triage, and the officer's case is untouched.
    let after = cases(&store).await;
    let same = after.iter().find(|c| c.id == case.id).unwrap();
    assert_eq!(same.version, asked.version, "the stranger changed nothing");
    gateway.assert_log_is_clean();
}

async fn an_internal_message_answered_by_mail_is_a_reply_in_its_thread(db: TestDb) {
    // Arrange: two officers; one writes to the other from the test's hub, whose notice the
    // gateway's process sends.
    let sink = SmtpSink::start().await;
    let store = db.open(Arc::new(SystemClock)).await;
    let note = AuditNote::operator();
    let lan = store
        .add_staff(staff("lan.tk", &[Role::Secretary]), &note)
        .await
        .unwrap();
    store
        .add_staff(staff("binh.le", &[Role::Specialist]), &note)
        .await
        .unwrap();
    let mut gateway = Gateway::start(&db.url, &sink);
    let smtp = gateway.smtp().await;
    let hub = staff_hub(store.clone());
    let sent = hub
        .send_message(
            lan.id,
            &Addressee::Login("binh.le".to_owned()),
            "Chiều nay họp lúc 14 giờ nhé.",
        )
        .await
        .unwrap();
    let notice = mail_to(&sink, &gateway, "binh.le@council.example", "Chiều nay họp").await;
    let signed = notice.header("Reply-To").expect("a Reply-To");
    assert!(signed.starts_with("hdnd+m"), "{signed}");

    // Act: Bình replies by mail, quoting the notice.
    let reply = format!(
        "From: binh.le@council.example\r\nTo: {signed}\r\nSubject: Re: tin nhắn\r\n\
         Message-ID: <r1@council.example>\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n\
         Tôi sẽ có mặt.\r\n\r\nVào 26/11/2026 09:31, HĐND đã viết:\r\n> Chiều nay họp\r\n"
    );
    deliver(smtp, "binh.le@council.example", &signed, &reply).await;

    // Assert: Lan hears the reply, in the same thread, without the quote.
    let heard = mail_to(&sink, &gateway, "lan.tk@council.example", "Tôi sẽ có mặt.").await;
    assert!(!text_of(&heard).contains("> Chiều nay họp"));
    let threads = store.list_threads(lan.id, 10).await.unwrap();
    assert_eq!(threads.len(), 1);
    assert_eq!(threads[0].root, sent.message.id);
    assert_eq!(threads[0].messages, 2);
    gateway.assert_log_is_clean();
}
