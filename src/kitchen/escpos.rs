//! ESC/POS: the kitchen ticket's layout as printer bytes, and a decoder that turns such
//! bytes back into text lines (the tests read printed tickets with it; staff see a test
//! print's preview with it).
//!
//! Pure functions. The command set is the common subset every Epson-compatible thermal
//! printer (Epson TM, Bixolon SRP, Sewoo SLK) understands: `ESC @` init, `ESC a` alignment,
//! `ESC E` bold, `GS !` character size, `FS &` / `FS .` double-byte (Korean) mode on/off,
//! `ESC d` feed, `GS V` cut, and `DLE EOT` real-time status.

use serde::Serialize;

pub const ESC: u8 = 0x1b;
pub const GS: u8 = 0x1d;
pub const FS: u8 = 0x1c;
pub const DLE: u8 = 0x10;
pub const EOT: u8 = 0x04;
pub const LF: u8 = 0x0a;

/// How text is encoded for a printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Korean printers (KS X 1001 / code page 949), double-byte mode on.
    Cp949,
    Utf8,
}

impl Encoding {
    pub fn parse(s: &str) -> Option<Encoding> {
        match s {
            "cp949" => Some(Encoding::Cp949),
            "utf-8" => Some(Encoding::Utf8),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Cp949 => "cp949",
            Encoding::Utf8 => "utf-8",
        }
    }
}

/// Columns a character takes on the paper: Hangul, CJK and full-width forms take two.
pub fn char_width(c: char) -> usize {
    let u = c as u32;
    let wide = (0x1100..=0x115F).contains(&u)
        || (0x2E80..=0xA4CF).contains(&u)
        || (0xAC00..=0xD7A3).contains(&u)
        || (0xF900..=0xFAFF).contains(&u)
        || (0xFE30..=0xFE4F).contains(&u)
        || (0xFF00..=0xFF60).contains(&u)
        || (0xFFE0..=0xFFE6).contains(&u);
    if wide { 2 } else { 1 }
}

pub fn text_width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// Wraps `text` to `width` columns; continuation lines start with `indent` spaces.
pub fn wrap(text: &str, width: usize, indent: usize) -> Vec<String> {
    let width = width.max(indent + 4);
    let body = text.trim_start_matches(' ');
    let lead = text.len() - body.len();
    let mut lines = Vec::new();
    let mut cur = " ".repeat(lead);
    let mut cur_w = lead;
    let mut fresh = true; // nothing but indentation on the current line yet
    for word in body.split(' ').filter(|w| !w.is_empty()) {
        let ww = text_width(word);
        let sep = usize::from(!fresh);
        if cur_w + sep + ww <= width {
            if sep == 1 {
                cur.push(' ');
            }
            cur.push_str(word);
            cur_w += sep + ww;
            fresh = false;
            continue;
        }
        // The word does not fit: start a new line, breaking the word itself if too long.
        if !fresh {
            lines.push(std::mem::take(&mut cur));
            cur = " ".repeat(indent);
            cur_w = indent;
        }
        for c in word.chars() {
            let cw = char_width(c);
            if cur_w + cw > width {
                lines.push(std::mem::take(&mut cur));
                cur = " ".repeat(indent);
                cur_w = indent;
            }
            cur.push(c);
            cur_w += cw;
        }
        fresh = false;
    }
    if !fresh || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

/// One line of a ticket as printed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TicketLine {
    pub name: String,
    pub quantity: i64,
    /// Option names ("매운맛", "라면사리").
    pub options: Vec<String>,
    pub note: String,
}

/// Everything printed on a ticket.
#[derive(Debug, Clone)]
pub struct Ticket {
    pub store_name: String,
    pub station: String,
    pub table_number: i64,
    pub order_no: i64,
    /// Local time in the store's timezone, e.g. "2030-06-14 12:34".
    pub time: String,
    pub cancel: bool,
    pub reprint: bool,
    pub lines: Vec<TicketLine>,
}

struct Out {
    bytes: Vec<u8>,
    enc: Encoding,
}

impl Out {
    fn cmd(&mut self, b: &[u8]) {
        self.bytes.extend_from_slice(b);
    }
    fn text(&mut self, s: &str) {
        match self.enc {
            Encoding::Utf8 => self.bytes.extend_from_slice(s.as_bytes()),
            Encoding::Cp949 => {
                let (b, _, _) = encoding_rs::EUC_KR.encode(s);
                self.bytes.extend_from_slice(&b);
            }
        }
    }
    fn line(&mut self, s: &str) {
        self.text(s);
        self.bytes.push(LF);
    }
}

/// The ticket as printer bytes, for a paper `columns` wide.
pub fn render(t: &Ticket, columns: usize, enc: Encoding) -> Vec<u8> {
    let mut o = Out { bytes: Vec::with_capacity(512), enc };
    o.cmd(&[ESC, b'@']);
    if enc == Encoding::Cp949 {
        o.cmd(&[FS, b'&']);
    }
    o.cmd(&[ESC, b'a', 1]);
    if t.reprint {
        o.cmd(&[ESC, b'E', 1]);
        o.line("** 재출력 REPRINT **");
        o.cmd(&[ESC, b'E', 0]);
    }
    o.line(&t.store_name);
    o.line(&format!("[{}]", t.station));
    if t.cancel {
        o.cmd(&[GS, b'!', 0x11]);
        o.line("취소 CANCEL");
        o.cmd(&[GS, b'!', 0]);
    }
    // The table number, large: the first thing a cook looks for.
    o.cmd(&[GS, b'!', 0x11]);
    o.line(&format!("테이블 {}", t.table_number));
    o.cmd(&[GS, b'!', 0]);
    o.line(&format!("주문 #{}  {}", t.order_no, t.time));
    o.cmd(&[ESC, b'a', 0]);
    o.line(&"-".repeat(columns));
    for l in &t.lines {
        let qty = format!("{} x ", l.quantity);
        o.cmd(&[GS, b'!', 0x01]);
        // Item lines are printed double height (`GS ! 0x01`): as wide as the rest.
        for row in wrap(&format!("{qty}{}", l.name), columns, qty.len()) {
            o.line(&row);
        }
        o.cmd(&[GS, b'!', 0]);
        if !l.options.is_empty() {
            for row in wrap(&format!("  + {}", l.options.join(", ")), columns, 4) {
                o.line(&row);
            }
        }
        if !l.note.is_empty() {
            o.cmd(&[ESC, b'E', 1]);
            for row in wrap(&format!("  * {}", l.note), columns, 4) {
                o.line(&row);
            }
            o.cmd(&[ESC, b'E', 0]);
        }
    }
    o.line(&"-".repeat(columns));
    if enc == Encoding::Cp949 {
        o.cmd(&[FS, b'.']);
    }
    // Feed past the cutter, then a partial cut.
    o.cmd(&[ESC, b'd', 4]);
    o.cmd(&[GS, b'V', 1]);
    o.bytes
}

/// A document (a bill, a receipt, a day report) as printer bytes.
pub fn render_doc(doc: &crate::receipt::Doc, columns: usize, enc: Encoding, reprint: bool) -> Vec<u8> {
    use crate::receipt::DocLine;
    let mut o = Out { bytes: Vec::with_capacity(1024), enc };
    o.cmd(&[ESC, b'@']);
    if enc == Encoding::Cp949 {
        o.cmd(&[FS, b'&']);
    }
    if reprint {
        o.cmd(&[ESC, b'a', 1, ESC, b'E', 1]);
        o.line("** 재출력 REPRINT **");
        o.cmd(&[ESC, b'E', 0, ESC, b'a', 0]);
    }
    // "left ... right", the right part flush with the edge; a long left part wraps above it.
    let pair = |o: &mut Out, left: &str, right: &str| {
        let rw = text_width(right);
        let mut rows = wrap(left, columns, 2);
        let last = rows.pop().unwrap_or_default();
        for r in rows {
            o.line(&r);
        }
        let room = columns.saturating_sub(rw);
        if text_width(&last) < room {
            o.line(&format!("{last}{}{right}", " ".repeat(room - text_width(&last))));
        } else {
            o.line(&last);
            o.line(&format!("{}{right}", " ".repeat(room)));
        }
    };
    for l in &doc.lines {
        match l {
            DocLine::Title { text } => {
                o.cmd(&[ESC, b'a', 1, GS, b'!', 0x11]);
                o.line(text);
                o.cmd(&[GS, b'!', 0, ESC, b'a', 0]);
            }
            DocLine::Center { text } => {
                o.cmd(&[ESC, b'a', 1]);
                o.line(text);
                o.cmd(&[ESC, b'a', 0]);
            }
            DocLine::Text { text } => {
                for row in wrap(text, columns, 0) {
                    o.line(&row);
                }
            }
            DocLine::Pair { left, right } => pair(&mut o, left, right),
            DocLine::Total { left, right } => {
                o.cmd(&[ESC, b'E', 1]);
                pair(&mut o, left, right);
                o.cmd(&[ESC, b'E', 0]);
            }
            DocLine::Rule => o.line(&"-".repeat(columns)),
        }
    }
    if enc == Encoding::Cp949 {
        o.cmd(&[FS, b'.']);
    }
    o.cmd(&[ESC, b'd', 4]);
    o.cmd(&[GS, b'V', 1]);
    o.bytes
}

/// A test page: proves the connection, the encoding and the cutter.
pub fn test_page(store_name: &str, station: &str, columns: usize, enc: Encoding) -> Vec<u8> {
    let mut o = Out { bytes: Vec::new(), enc };
    o.cmd(&[ESC, b'@']);
    if enc == Encoding::Cp949 {
        o.cmd(&[FS, b'&']);
    }
    o.cmd(&[ESC, b'a', 1]);
    o.line(store_name);
    o.cmd(&[GS, b'!', 0x11]);
    o.line("테스트 인쇄");
    o.cmd(&[GS, b'!', 0]);
    o.line(&format!("[{station}] TEST PRINT"));
    o.line(&"-".repeat(columns));
    o.line("가나다라마바사 ABC 123");
    if enc == Encoding::Cp949 {
        o.cmd(&[FS, b'.']);
    }
    o.cmd(&[ESC, b'd', 4]);
    o.cmd(&[GS, b'V', 1]);
    o.bytes
}

// ---- real-time status (DLE EOT) ----------------------------------------------------------

/// DLE EOT n: ask for status n (1 printer, 2 offline cause, 4 paper roll).
pub fn status_query(n: u8) -> [u8; 3] {
    [DLE, EOT, n]
}

/// What a printer's status answers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrinterState {
    Ok,
    Offline,
    PaperOut,
    CoverOpen,
    /// No printer configured.
    None,
}

impl PrinterState {
    pub fn as_str(self) -> &'static str {
        match self {
            PrinterState::Ok => "ok",
            PrinterState::Offline => "offline",
            PrinterState::PaperOut => "paper_out",
            PrinterState::CoverOpen => "cover_open",
            PrinterState::None => "none",
        }
    }
}

/// Reads the answers to DLE EOT 2 (offline cause) and DLE EOT 4 (paper roll sensor).
pub fn state_from_status(offline_cause: u8, paper: u8) -> PrinterState {
    if paper & 0x60 == 0x60 || offline_cause & 0x20 != 0 {
        PrinterState::PaperOut
    } else if offline_cause & 0x04 != 0 {
        PrinterState::CoverOpen
    } else if offline_cause & 0x40 != 0 {
        PrinterState::Offline
    } else {
        PrinterState::Ok
    }
}

// ---- decoding ----------------------------------------------------------------------------

/// A printed line as the decoder reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrintedLine {
    pub text: String,
    /// Double width and height (`GS !` 0x11).
    pub large: bool,
    pub bold: bool,
}

/// What a stream of printer bytes prints.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Printed {
    pub lines: Vec<PrintedLine>,
    /// Paper cuts (`GS V`).
    pub cuts: usize,
    /// Status queries (`DLE EOT n`) seen.
    pub status_queries: Vec<u8>,
}

/// Decodes ESC/POS bytes back into lines of text (with their size and weight) and cuts.
pub fn decode(bytes: &[u8], enc: Encoding) -> Printed {
    let mut p = Printed::default();
    let mut text: Vec<u8> = Vec::new();
    let (mut large, mut bold) = (false, false);
    let flush = |text: &mut Vec<u8>, p: &mut Printed, large: bool, bold: bool| {
        let s = match enc {
            Encoding::Utf8 => String::from_utf8_lossy(text).to_string(),
            Encoding::Cp949 => encoding_rs::EUC_KR.decode(text).0.to_string(),
        };
        p.lines.push(PrintedLine { text: s, large, bold });
        text.clear();
    };
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let arg = |k: usize| bytes.get(i + k).copied().unwrap_or(0);
        match b {
            ESC => {
                match arg(1) {
                    b'@' => {
                        large = false;
                        bold = false;
                        i += 2;
                    }
                    b'E' => {
                        bold = arg(2) & 1 == 1;
                        i += 3;
                    }
                    b'd' => {
                        if !text.is_empty() {
                            flush(&mut text, &mut p, large, bold);
                        }
                        i += 3;
                    }
                    _ => i += 3, // ESC a n, ESC t n, …: one argument
                }
            }
            GS => match arg(1) {
                b'!' => {
                    large = arg(2) & 0x11 == 0x11;
                    i += 3;
                }
                b'V' => {
                    p.cuts += 1;
                    // GS V m, or GS V m n for m = 65/66.
                    i += if matches!(arg(2), 65 | 66) { 4 } else { 3 };
                }
                _ => i += 3,
            },
            FS => i += 2, // FS & / FS .
            DLE if arg(1) == EOT => {
                p.status_queries.push(arg(2));
                i += 3;
            }
            LF => {
                flush(&mut text, &mut p, large, bold);
                i += 1;
            }
            _ => {
                text.push(b);
                i += 1;
            }
        }
    }
    if !text.is_empty() {
        flush(&mut text, &mut p, large, bold);
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket() -> Ticket {
        Ticket {
            store_name: "데모 식당".into(),
            station: "주방".into(),
            table_number: 7,
            order_no: 12,
            time: "2030-06-14 12:34".into(),
            cancel: false,
            reprint: false,
            lines: vec![
                TicketLine {
                    name: "김치찌개".into(),
                    quantity: 2,
                    options: vec!["매운맛".into(), "라면사리".into()],
                    note: "덜 맵게 해주세요".into(),
                },
                TicketLine {
                    name: "아주 아주 긴 이름의 특별한 계절 한정 메뉴 세트".into(),
                    quantity: 1,
                    options: vec![],
                    note: String::new(),
                },
            ],
        }
    }

    #[test]
    fn a_ticket_round_trips_through_cp949_with_a_large_table_number_and_a_cut() {
        let bytes = render(&ticket(), 32, Encoding::Cp949);
        // Korean goes out as code page 949, not UTF-8.
        assert!(bytes.windows(2).any(|w| w == [0xc5, 0xd7]), "테 in cp949");
        assert!(!String::from_utf8_lossy(&bytes).contains("테이블"));
        let p = decode(&bytes, Encoding::Cp949);
        let texts: Vec<&str> = p.lines.iter().map(|l| l.text.as_str()).collect();
        assert!(texts.contains(&"데모 식당"));
        let table = p.lines.iter().find(|l| l.text == "테이블 7").unwrap();
        assert!(table.large);
        assert!(texts.contains(&"주문 #12  2030-06-14 12:34"));
        assert!(texts.contains(&"2 x 김치찌개"));
        assert!(texts.contains(&"  + 매운맛, 라면사리"));
        let note = p.lines.iter().find(|l| l.text.contains("덜 맵게")).unwrap();
        assert!(note.bold);
        assert_eq!(p.cuts, 1);
        // Every line fits the paper, Korean counted as two columns.
        for l in p.lines.iter().filter(|l| !l.large) {
            assert!(text_width(&l.text) <= 32, "{:?} is wider than the paper", l.text);
        }
        let long: Vec<&PrintedLine> =
            p.lines.iter().filter(|l| l.text.contains("메뉴") || l.text.contains("세트")).collect();
        assert!(!long.is_empty());
    }

    #[test]
    fn reprints_and_cancels_say_so() {
        let mut t = ticket();
        t.reprint = true;
        t.cancel = true;
        let p = decode(&render(&t, 42, Encoding::Utf8), Encoding::Utf8);
        assert!(p.lines[0].text.contains("재출력"));
        assert!(p.lines.iter().any(|l| l.text == "취소 CANCEL" && l.large));
    }

    #[test]
    fn lines_wrap_at_the_paper_width_counting_hangul_twice() {
        assert_eq!(text_width("김치 ab"), 7);
        let w = wrap("2 x 아주 아주 긴 이름의 특별한 메뉴", 12, 4);
        assert!(w.len() > 1);
        for l in &w {
            assert!(text_width(l) <= 12, "{l:?}");
        }
        assert!(w[1].starts_with("    "));
        assert_eq!(wrap("short", 20, 2), vec!["short".to_string()]);
    }

    #[test]
    fn a_receipt_round_trips_with_amounts_flush_right() {
        let doc =
            crate::receipt::check_doc(&crate::wire::samples::check(), "본점", true, "2030-06-14 20:30", "2030-06-14");
        let bytes = render_doc(&doc, 42, Encoding::Cp949, false);
        let p = decode(&bytes, Encoding::Cp949);
        let text: Vec<&str> = p.lines.iter().map(|l| l.text.as_str()).collect();
        assert!(text.contains(&"영수증"), "{text:?}");
        let total = p.lines.iter().find(|l| l.text.starts_with("받을 금액")).expect("the total");
        assert!(total.text.ends_with("8,550원") && text_width(&total.text) == 42, "{:?}", total.text);
        assert_eq!(p.cuts, 1);
        let again = decode(&render_doc(&doc, 42, Encoding::Cp949, true), Encoding::Cp949);
        assert!(again.lines[0].text.contains("재출력"));
    }

    #[test]
    fn status_bytes_name_the_problem() {
        assert_eq!(state_from_status(0x12, 0x12), PrinterState::Ok);
        assert_eq!(state_from_status(0x12, 0x72), PrinterState::PaperOut);
        assert_eq!(state_from_status(0x16, 0x12), PrinterState::CoverOpen);
        assert_eq!(state_from_status(0x52, 0x12), PrinterState::Offline);
    }
}
