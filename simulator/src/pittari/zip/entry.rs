//! File names inside the 申請ZIP: what [`super::build()`] may write and what [`super::read()`]
//! accepts, defined once here.
//!
//! Fixed files have ASCII names at the top level. 添付書類 keep the name the applicant gave them
//! (Japanese, UTF-8, with the ZIP's UTF-8 flag set) under `tenpu/`. Municipal terminals run
//! Windows (seed 000 §5), so a name must also be a valid Windows file name: a 申請管理システム
//! that extracts attachments to disk must not meet a name it cannot create, nor one that climbs
//! out of its folder.

/// The longest attachment name, in bytes of UTF-8 (a common file-system limit is 255 bytes).
pub const MAX_ATTACHMENT_NAME_BYTES: usize = 255;

/// Characters Windows does not allow in a file name, besides the control characters.
const WINDOWS_FORBIDDEN: &[char] = &['<', '>', ':', '"', '/', '\\', '|', '?', '*'];

/// Why an attachment name cannot be used; `None` when it can.
pub fn attachment_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("空です".to_owned());
    }
    if name.len() > MAX_ATTACHMENT_NAME_BYTES {
        return Some(format!(
            "UTF-8 で{}バイトあります (上限{MAX_ATTACHMENT_NAME_BYTES}バイト)",
            name.len()
        ));
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Some(format!("制御文字 U+{:04X} を含みます", u32::from(c)));
    }
    if let Some(c) = name.chars().find(|c| WINDOWS_FORBIDDEN.contains(c)) {
        return Some(format!(
            "「{c}」を含みます (ファイル名に使えない文字: < > : \" / \\ | ? *)"
        ));
    }
    if name == "." || name == ".." {
        return Some("「.」「..」はファイル名になりません".to_owned());
    }
    if name.ends_with('.') || name.ends_with(' ') || name.starts_with(' ') {
        return Some("先頭の空白、末尾の空白・「.」は Windows で落とされます".to_owned());
    }
    if is_windows_device(name) {
        return Some("Windows の予約名 (CON, PRN, AUX, NUL, COM1–9, LPT1–9) です".to_owned());
    }
    None
}

/// `CON`, `nul.txt`, `COM1.pdf` …: names Windows reserves for devices, with any extension.
fn is_windows_device(name: &str) -> bool {
    let stem = name
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && stem.as_bytes()[3].is_ascii_digit()
            && stem.as_bytes()[3] != b'0')
}

/// Why an entry name read from a ZIP is unsafe to extract; `None` when it is safe.
///
/// Refused: absolute paths (`/x`, `\x`, `C:x`), any `..` or `.` component, empty components,
/// backslashes (a path separator on Windows), control characters. The `zip` crate's
/// `enclosed_name()` is checked as well by the reader, as a second opinion.
pub fn unsafe_path_reason(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("名前が空です");
    }
    if name.starts_with('/') {
        return Some("絶対パスです");
    }
    if name.contains('\\') {
        return Some("「\\」を含みます (Windows ではパス区切りです)");
    }
    let bytes = name.as_bytes();
    if bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic() {
        return Some("ドライブ名で始まる絶対パスです");
    }
    if name.chars().any(char::is_control) {
        return Some("制御文字を含みます");
    }
    let body = name.strip_suffix('/').unwrap_or(name);
    for component in body.split('/') {
        match component {
            ".." => return Some("「..」で上の階層へ出るパスです"),
            "." => return Some("「.」の階層を含みます"),
            "" => return Some("空の階層 (「//」) を含みます"),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japanese_attachment_names_are_fine() {
        assert_eq!(attachment_name_problem("本人確認書類（写し）.pdf"), None);
        assert_eq!(attachment_name_problem("𠮷田様〜通帳～.jpg"), None);
        assert_eq!(attachment_name_problem("CONSENT.pdf"), None);
        assert_eq!(attachment_name_problem("COM0.txt"), None);
    }

    #[test]
    fn names_a_municipal_terminal_cannot_store_are_refused() {
        for bad in [
            "", ".", "..", "a/b.pdf", "a\\b.pdf", "a:b", "a?.pdf", "a\u{0}b", "a\nb", "末尾.",
            " 先頭", "con", "nul.txt", "LPT1.pdf", "com9",
        ] {
            assert!(attachment_name_problem(bad).is_some(), "{bad:?}");
        }
        assert!(attachment_name_problem(&"あ".repeat(86)).is_some());
        assert!(attachment_name_problem(&"あ".repeat(85)).is_none());
    }

    #[test]
    fn paths_that_leave_the_folder_are_unsafe() {
        for (bad, word) in [
            ("../evil.txt", ".."),
            ("tenpu/../../evil.txt", ".."),
            ("/etc/passwd", "絶対"),
            ("C:/Windows/evil.dll", "ドライブ"),
            ("..\\evil.txt", "\\"),
            ("tenpu//a", "空"),
            ("./a", "「.」"),
            ("a\u{7}", "制御"),
            ("", "空"),
        ] {
            let reason = unsafe_path_reason(bad).unwrap_or_else(|| panic!("{bad:?} passed"));
            assert!(reason.contains(word), "{bad:?}: {reason}");
        }
        for good in [
            "kousei_kanri.xml",
            "tenpu/本人確認書類（写し）.pdf",
            "tenpu/",
        ] {
            assert_eq!(unsafe_path_reason(good), None, "{good}");
        }
    }
}
