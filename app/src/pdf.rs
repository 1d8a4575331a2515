//! PDF documents made on the server (a signed intake form, a certificate
//! of destruction): real text in Helvetica, one of the standard fonts
//! every PDF reader has, so the text is selectable and nothing is
//! embedded; one column, wrapped lines, new pages as needed, and a footer
//! on every page (the document's hash).
//!
//! `pdf-writer` (the PDF layer of the Typst project, maintained, with no
//! dependencies beyond number formatting) writes the objects.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

const WIDTH: f32 = 612.0;
const HEIGHT: f32 = 792.0;
const MARGIN: f32 = 54.0;
const FOOTER: f32 = 48.0;
/// Characters per line at 10 pt Helvetica across the text column
/// (an average glyph is about half the size wide).
const WRAP: usize = 92;

/// Text in the fonts' WinAnsi encoding: Latin-1 as is, the usual
/// typographic marks mapped, anything else as `?`.
pub fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '\u{2018}' => 0x91,
            '\u{2019}' => 0x92,
            '\u{201C}' => 0x93,
            '\u{201D}' => 0x94,
            '\u{2022}' => 0x95,
            '\u{2013}' => 0x96,
            '\u{2014}' => 0x97,
            '\u{2026}' => 0x85,
            c if (c as u32) >= 0x20 && (c as u32) < 0x7F => c as u8,
            c if (c as u32) >= 0xA0 && (c as u32) <= 0xFF => c as u32 as u8,
            _ => b'?',
        })
        .collect()
}

/// `text` broken into lines of at most `width` characters, at spaces
/// where it can be.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let mut word = word.to_owned();
            while word.chars().count() > width {
                let head: String = word.chars().take(width).collect();
                word = word.chars().skip(width).collect();
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                lines.push(head);
            }
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        }
        lines.push(line);
    }
    lines
}

/// Pages of content, written top to bottom.
pub struct Writer {
    pages: Vec<Content>,
    y: f32,
    footer: String,
}

impl Writer {
    /// A document whose every page carries `footer`.
    pub fn new(footer: String) -> Self {
        let mut w = Self {
            pages: Vec::new(),
            y: 0.0,
            footer,
        };
        w.new_page();
        w
    }

    fn new_page(&mut self) {
        let mut page = Content::new();
        page.set_fill_gray(0.35);
        for (i, line) in wrap(&self.footer, 110).iter().enumerate() {
            page.begin_text();
            page.set_font(Name(b"F1"), 7.5);
            page.next_line(MARGIN, FOOTER - 10.0 * i as f32);
            page.show(Str(&win_ansi(line)));
            page.end_text();
        }
        page.set_fill_gray(0.0);
        self.pages.push(page);
        self.y = HEIGHT - MARGIN;
    }

    fn room(&mut self, height: f32) {
        if self.y - height < FOOTER + 24.0 {
            self.new_page();
        }
    }

    /// Wrapped text at `size` points.
    pub fn text(&mut self, text: &str, size: f32, bold: bool) {
        for line in wrap(text, (WRAP as f32 * 10.0 / size) as usize) {
            self.room(size * 1.4);
            self.y -= size * 1.4;
            let y = self.y;
            let page = self.pages.last_mut().expect("a page is always open");
            page.begin_text();
            page.set_font(Name(if bold { b"F2" } else { b"F1" }), size);
            page.next_line(MARGIN, y);
            page.show(Str(&win_ansi(&line)));
            page.end_text();
        }
    }

    pub fn gap(&mut self, height: f32) {
        self.y -= height;
    }

    /// Strokes in a 300 × 120 box, drawn at half size.
    pub fn strokes(&mut self, strokes: &[Vec<[i16; 2]>]) {
        self.room(70.0);
        let top = self.y - 4.0;
        let page = self.pages.last_mut().expect("a page is always open");
        page.set_line_width(1.0);
        let at = |p: &[i16; 2]| (MARGIN + f32::from(p[0]) / 2.0, top - f32::from(p[1]) / 2.0);
        for stroke in strokes {
            let Some((first, rest)) = stroke.split_first() else {
                continue;
            };
            let (x, y) = at(first);
            page.move_to(x, y);
            for p in rest {
                let (x, y) = at(p);
                page.line_to(x, y);
            }
        }
        page.stroke();
        self.y -= 66.0;
    }

    /// The PDF's bytes.
    pub fn finish(self) -> Vec<u8> {
        let w = self;
        let mut pdf = Pdf::new();
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let regular = Ref::new(3);
        let bold = Ref::new(4);
        let count = w.pages.len() as i32;
        let page_ids: Vec<Ref> = (0..count).map(|i| Ref::new(5 + 2 * i)).collect();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree).kids(page_ids.iter().copied()).count(count);
        pdf.type1_font(regular)
            .base_font(Name(b"Helvetica"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.type1_font(bold)
            .base_font(Name(b"Helvetica-Bold"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        for (i, content) in w.pages.into_iter().enumerate() {
            let id = page_ids[i];
            let content_id = Ref::new(id.get() + 1);
            let mut page = pdf.page(id);
            page.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT));
            page.parent(tree);
            page.contents(content_id);
            let mut resources = page.resources();
            resources
                .fonts()
                .pair(Name(b"F1"), regular)
                .pair(Name(b"F2"), bold);
            resources.finish();
            page.finish();
            pdf.stream(content_id, &content.finish());
        }
        pdf.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_wrap_at_spaces_and_long_words_are_cut() {
        assert_eq!(wrap("one two three", 7), ["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(win_ansi("café – ok ✓"), b"caf\xe9 \x96 ok ?");
    }
}
