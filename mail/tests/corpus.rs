//! The checked-in corpus (`tests/mail/*.eml`, fictional senders at example domains): each
//! message shaped as a real client sends it is read right, and none makes the parser fail
//! in a way the gateway could not record.

use hdnd_mail::{Automatic, parse};

fn read(name: &str) -> Vec<u8> {
    let path = format!("{}/../tests/mail/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn outlook_in_windows_1258_and_quoted_printable_reads_as_vietnamese() {
    let mail = parse(&read("outlook-1258.eml")).unwrap();
    assert_eq!(mail.subject, "Kiến nghị sửa đèn");
    assert_eq!(mail.from_name.as_deref(), Some("Nguyễn Văn An"));
    assert!(
        mail.text.contains("Đèn đường ngõ 12 phố Lê Lợi hỏng"),
        "{}",
        mail.text
    );
    assert_eq!(
        mail.reply,
        "Kính gửi Hội đồng,\nĐèn đường ngõ 12 phố Lê Lợi hỏng đã hai tuần."
    );
    assert_eq!(mail.message_id.as_deref(), Some("outlook.1@example.com"));
    assert_eq!(mail.automatic, None);
}

#[test]
fn a_gmail_reply_keeps_its_threading_and_loses_its_quote() {
    let mail = parse(&read("gmail-reply.eml")).unwrap();
    assert_eq!(mail.from.as_deref(), Some("binh.tran@example.net"));
    assert_eq!(mail.from_name.as_deref(), Some("Trần Thị Bình"));
    assert_eq!(mail.to, ["hdnd+hb.20261201.0003.abc@hongbang.example"]);
    assert_eq!(mail.subject, "Re: [HB.20261201.0003] Hồ sơ");
    assert_eq!(mail.in_reply_to, ["HB.20261201.0003.c1@hongbang.example"]);
    assert_eq!(mail.references.len(), 2);
    assert_eq!(mail.reply, "Đèn vẫn chưa sáng.");
}

#[test]
fn apple_mails_decomposed_letters_and_an_rfc_2231_file_name_come_out_composed() {
    let mail = parse(&read("apple-nfd.eml")).unwrap();
    assert_eq!(mail.text, "Cống thoát nước ngõ 7 bị tắc.");
    assert_eq!(mail.from_name.as_deref(), Some("Lê Hoa"));
    assert_eq!(mail.attachments.len(), 1);
    let file = &mail.attachments[0];
    assert_eq!(file.name, "biên bản.pdf");
    assert_eq!(file.content_type, "application/pdf");
    assert_eq!(file.bytes, b"%PDF-1.4 fictional");
}

#[test]
fn an_html_only_mail_becomes_text_without_script_style_or_image() {
    let mail = parse(&read("phone-html-only.eml")).unwrap();
    assert!(
        mail.text.contains("Rác tồn đọng ở chợ Sắt."),
        "{}",
        mail.text
    );
    assert!(mail.text.contains("Xin xử lý."), "{}", mail.text);
    for never in ["alert", "color:red", "tracker.example", "<"] {
        assert!(!mail.text.contains(never), "{never}: {}", mail.text);
    }
}

#[test]
fn thunderbirds_flowed_lines_join_and_its_attribution_is_cut() {
    let mail = parse(&read("thunderbird-flowed.eml")).unwrap();
    assert_eq!(mail.reply, "Nhà tôi ở số 15, cạnh cột điện.");
    assert_eq!(mail.to.len(), 2, "To and Cc");
}

#[test]
fn auto_replies_lists_and_bounces_are_known_as_automatic() {
    let cases = [
        ("auto-reply.eml", Automatic::AutoSubmitted),
        ("list.eml", Automatic::List),
        ("dsn.eml", Automatic::Report),
    ];
    for (name, why) in cases {
        assert_eq!(parse(&read(name)).unwrap().automatic, Some(why), "{name}");
    }
    let ours = b"From: hdnd@hongbang.example\r\nX-Hdnd-Loop: 1\r\nSubject: x\r\n\r\nx\r\n";
    assert_eq!(parse(ours).unwrap().automatic, Some(Automatic::Loop));
    let bounce = b"Return-Path: <>\r\nFrom: a@example.com\r\nSubject: x\r\n\r\nx\r\n";
    assert_eq!(
        parse(bounce).unwrap().automatic,
        Some(Automatic::NullReturnPath)
    );
    let daemon = b"From: Postmaster@example.com\r\nSubject: x\r\n\r\nx\r\n";
    assert_eq!(
        parse(daemon).unwrap().automatic,
        Some(Automatic::MailerDaemon)
    );
    let person = b"From: a@example.com\r\nAuto-Submitted: no\r\nSubject: x\r\n\r\nx\r\n";
    assert_eq!(parse(person).unwrap().automatic, None);
}

#[test]
fn vietnamese_attachment_names_decode_from_rfc_2231_and_rfc_2047() {
    let mail = parse(&read("vn-attachments.eml")).unwrap();
    let names: Vec<_> = mail.attachments.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["Đơn phản ánh.pdf", "ảnh vỉa hè.exe"]);
    assert!(mail.attachments[0].bytes.starts_with(b"%PDF-1.7"));
    assert!(mail.attachments[1].bytes.starts_with(b"MZ"));
    assert_eq!(mail.subject, "Phản ánh lấn chiếm vỉa hè");
    assert_eq!(mail.from_name.as_deref(), Some("Lê Thị Mai"));
}

#[test]
fn a_forwarded_mail_keeps_the_forwarded_text_and_its_reply_is_the_note_above() {
    let mail = parse(&read("forwarded.eml")).unwrap();
    assert!(mail.text.contains("Rác thải ở đầu ngõ 7"), "{}", mail.text);
    assert_eq!(
        mail.reply,
        "Kính gửi HĐND, tôi chuyển tiếp thư của tổ dân phố."
    );
    assert_eq!(mail.subject, "Fwd: Kiến nghị về rác thải");
}

#[test]
fn a_delivery_report_gives_its_status_diagnostic_and_the_bounce_address_it_came_to() {
    let failed = parse(&read("dsn.eml")).unwrap();
    let report = failed.report.expect("a report");
    assert_eq!(report.status, "5.1.1");
    assert_eq!(report.diagnostic, None);
    assert_eq!(failed.to, ["hdnd-bounce+42.abc@hongbang.example"]);

    let delayed = parse(&read("dsn-delayed.eml")).unwrap();
    let report = delayed.report.expect("a report");
    assert_eq!(report.status, "4.4.1");
    assert_eq!(
        report.diagnostic.as_deref(),
        Some("connect to mx.example.net[192.0.2.1]:25: Connection timed out")
    );
    // The envelope's plus-address, noted by the receiving server, is among the recipients.
    assert!(
        delayed
            .to
            .contains(&"hdnd-bounce+43.abc@hongbang.example".to_owned())
    );
    assert_eq!(parse(&read("gmail-reply.eml")).unwrap().report, None);
}

#[test]
fn a_subject_with_an_encoded_line_break_stays_one_line_and_a_missing_id_is_none() {
    let mail = parse(&read("no-id-injection.eml")).unwrap();
    assert_eq!(mail.subject, "Kiến nghị Bcc: all@example.com");
    assert!(!mail.subject.contains(['\r', '\n']));
    assert_eq!(mail.message_id, None);
    assert_eq!(mail.text, "Đề nghị lắp đèn.");
}

#[test]
fn malformed_mime_is_read_as_far_as_it_goes_and_garbage_is_an_error_not_a_panic() {
    let mail = parse(&read("malformed.eml")).unwrap();
    assert!(
        mail.text.contains("Nội dung vẫn đọc được."),
        "{}",
        mail.text
    );
    for garbage in [&b""[..], b"\0\0\0\xff\xfe", b"not a mail at all"] {
        let _ = parse(garbage);
    }
    assert!(parse(b"").is_err());
}

#[test]
fn each_reply_in_the_corpus_names_its_case_and_each_new_mail_its_kind() {
    use hdnd_hub::domain::{CaseCode, CaseKind, ContactKey, MailKey};
    use hdnd_mail::route::{Named, guess_kind, named_case};
    let key = MailKey::derive(&ContactKey::new("a fictional contact key of 32+ bytes").unwrap());
    let named = |name: &str| {
        let mail = parse(&read(name)).unwrap();
        named_case(&mail, "hongbang.example", "hdnd@hongbang.example", &key)
    };
    let code = |c: &str| CaseCode::parse(c).unwrap();
    assert_eq!(
        named("gmail-reply.eml"),
        Some(Named::Thread(code("HB.20261201.0003")))
    );
    assert_eq!(
        named("thunderbird-flowed.eml"),
        Some(Named::Thread(code("HB.20261201.0009")))
    );
    assert_eq!(named("outlook-1258.eml"), None);
    let outlook = parse(&read("outlook-1258.eml")).unwrap();
    assert_eq!(
        guess_kind(&outlook.subject, &outlook.reply),
        Some(CaseKind::KienNghi)
    );
    let phone = parse(&read("phone-html-only.eml")).unwrap();
    assert_eq!(
        guess_kind(&phone.subject, &phone.reply),
        Some(CaseKind::PhanAnh)
    );
}
