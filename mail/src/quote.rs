//! The new part of a reply: what the person wrote above the quoted history and the signature.
//! The history starts at the first of: a line quoted with `>`; an attribution line ("Vào …
//! đã viết:", "On … wrote:", possibly wrapped over two lines as Gmail does); Outlook's
//! "-----Original Message-----" or "-----Thư gốc-----"; a header block Outlook puts instead
//! ("From:"/"Từ:" followed by "Sent:"/"Đã gửi:" or "Date:"/"Ngày:"); a forwarded message's
//! marker. The signature starts at the standard `-- ` line. When nothing is left (a reply that
//! is all quote), the whole text is kept: nothing a person sent is dropped.

/// `text` without its quoted history and signature.
pub fn strip_quoted(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let cut = (0..lines.len())
        .find(|&i| starts_history(&lines, i))
        .unwrap_or(lines.len());
    let kept = lines[..cut]
        .iter()
        .position(|l| *l == "-- " || *l == "--")
        .map_or(&lines[..cut], |sig| &lines[..sig]);
    let reply = kept.join("\n").trim().to_owned();
    if reply.is_empty() {
        text.trim().to_owned()
    } else {
        reply
    }
}

fn starts_history(lines: &[&str], i: usize) -> bool {
    let line = lines[i].trim();
    if line.starts_with('>') {
        return true;
    }
    let lower = line.to_lowercase();
    if lower.contains("-----original message-----")
        || lower.contains("-----thư gốc-----")
        || lower.contains("---------- forwarded message")
        || lower.contains("---------- thư đã chuyển tiếp")
    {
        return true;
    }
    if attribution(&lower) {
        return true;
    }
    // An attribution Gmail wrapped: "On Wed, … Nguyễn Văn A <a@example.com>" / "wrote:".
    if let Some(next) = lines.get(i + 1) {
        let joined = format!("{lower} {}", next.trim().to_lowercase());
        if (lower.starts_with("on ") || lower.starts_with("vào ")) && attribution(&joined) {
            return true;
        }
    }
    // Outlook's header block: From/Từ, then Sent/Đã gửi or Date/Ngày within two lines.
    let header = |l: &str, names: &[&str]| {
        let l = l.trim().to_lowercase();
        names.iter().any(|n| l.starts_with(n))
    };
    if header(line, &["from:", "từ:"]) {
        return lines
            .iter()
            .skip(i + 1)
            .take(2)
            .any(|l| header(l, &["sent:", "đã gửi:", "date:", "ngày:", "gửi:"]));
    }
    false
}

/// "On … wrote:" or "Vào … đã viết:".
fn attribution(lower: &str) -> bool {
    (lower.starts_with("on ") && lower.ends_with("wrote:"))
        || (lower.starts_with("vào ") && lower.ends_with("đã viết:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_clients_quoted_history_and_the_signature_are_cut() {
        let cases = [
            "Đèn vẫn hỏng.\n\nVào Th 4, 2 thg 12, 2026 vào lúc 10:15 Hội đồng <hdnd@hongbang.example> đã viết:\n> Hồ sơ HB.1 đã được giải quyết.",
            "Đèn vẫn hỏng.\n\nOn Wed, Dec 2, 2026 at 10:15 AM Hội đồng <hdnd@hongbang.example>\nwrote:\n> Your case",
            "Đèn vẫn hỏng.\n\n-----Original Message-----\nFrom: hdnd@hongbang.example\nSent: Wednesday",
            "Đèn vẫn hỏng.\n\nTừ: Hội đồng nhân dân <hdnd@hongbang.example>\nĐã gửi: Thứ Tư, 2 tháng 12, 2026 10:15\nĐến: ban@example.com",
            "Đèn vẫn hỏng.\n-- \nNguyễn Văn An\n0900 000 001",
            "Đèn vẫn hỏng.\n> trích dẫn\n> nữa",
        ];
        for text in cases {
            assert_eq!(strip_quoted(text), "Đèn vẫn hỏng.", "{text:?}");
        }
    }

    #[test]
    fn a_reply_that_is_all_quote_is_kept_and_a_plain_from_line_is_not_a_header_block() {
        assert_eq!(strip_quoted("> chỉ trích dẫn"), "> chỉ trích dẫn");
        let text = "From: tổ dân phố 5, chúng tôi đề nghị sửa đèn.\nCảm ơn.";
        assert_eq!(strip_quoted(text), text);
        let text = "On the corner of ngõ 12 the light is out.\nPlease fix it.";
        assert_eq!(strip_quoted(text), text);
    }
}
